using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Isolated.Net.NUnit;

// The one place that turns missing privileges into an Ignored test, the way NUnit's [Ignore] does.
// NetworkPrivileges.SkipReason is null when ISOLATED_NET_REQUIRE_PRIVILEGES=1: the test then runs
// and fails loudly instead.
internal static class PrivilegeGate
{
    public static void Apply(Test test)
    {
        if (test.RunState is RunState.NotRunnable or RunState.Ignored || NetworkPrivileges.SkipReason is not { } reason)
        {
            return;
        }
        test.RunState = RunState.Ignored;
        test.Properties.Set(PropertyNames.SkipReason, reason);
    }

    // Before the first namespace of a test or fixture is made: reached without the privileges only when
    // they are required (otherwise Apply ignored the test), so fail with a sentence naming both.
    public static void ThrowIfMissing()
    {
        if (NetworkPrivileges.MissingReason is { } missing)
        {
            throw new InvalidOperationException($"Isolated.Net {missing}, and {NetworkPrivileges.RequireVariable}=1 makes that a failure instead of a skip. Run the tests as root or grant the test host both capabilities.");
        }
    }
}
