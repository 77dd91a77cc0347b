using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

public class FrameworkVersionTests
{
    // The same sources run in two projects: this proves which NUnit each one really ran on.
    [Test]
    public void Runs_on_the_NUnit_major_version_its_project_claims()
    {
#if NUNIT5
        const int expected = 5;
#else
        const int expected = 4;
#endif
        var version = typeof(Assert).Assembly.GetName().Version!;
        TestContext.Out.WriteLine($"NUnit {version}");
        Assert.That(version.Major, Is.EqualTo(expected));
    }
}
