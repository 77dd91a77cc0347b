using System.Globalization;
using System.Reflection;

// Internal to each xUnit adapter (v2 and v3), in the same namespace in both; the v3 adapter finds
// TopologyFixture and NetTestContext through a global using.
namespace Isolated.Net.Xunit.Sdk;

// One test's network from before its body starts until its result is known, whichever xunit runs it:
// where it runs (NetTestTarget), the stray-thread accounting, NetTestContext, the optional capture, and
// what a failure reports. Each adapter's runner only maps these steps onto its own hooks.
internal sealed class NetTestScope : IAsyncDisposable
{
    private readonly NetTestTarget _target;
    private readonly IDisposable _leakScope;
    private PacketCapture? _capture;

    private readonly string _testName;

    private NetTestScope(NetTestTarget target, string testName)
    {
        _target = target;
        _testName = testName;
        _leakScope = NamespaceLeakCheck.Enter(target.Inodes);
        NetTestContext.Set(target.Namespace, target.Host);
    }

    // Only reached when privileges are required (otherwise the test was skipped before).
    public static string? PrivilegeFailure => NetworkPrivileges.MissingReason is { } missing
        ? $"This test {missing}, and {NetworkPrivileges.RequireVariable}=1 makes that a failure instead of a skip."
        : null;

    public NetworkNamespace Namespace => _target.Namespace;

    // Resolves the namespace (fresh, or the fixture's host) and makes it the current NetTestContext of the
    // caller's async flow: call it from the runner's own async method, before the test class exists.
    public static NetTestScope Open(string? host, object?[] constructorArguments, Type testClass, MethodInfo testMethod) =>
        new(NetTestTarget.Resolve(host, constructorArguments, testClass, testMethod), testClass.Name + "." + testMethod.Name);

    // Every interface of the test's namespace, from before the body starts until the test is done.
    public void StartCapture() => _capture = _target.StartCapture();

    public void ThrowIfStrayThreads() => NamespaceLeakCheck.ThrowIfStrayThreads(_target.Inodes);

    // The network at the time of the failure; a capture is stopped and kept, its path named in the text.
    public async Task<NetTestFailureReport> DescribeFailureAsync()
    {
        var description = _target.Describe();
        var capture = _capture;
        if (capture is not null)
        {
            _capture = null;
            await capture.StopAsync();
            description += string.Create(CultureInfo.InvariantCulture,
                $"packet capture of {capture.Source}: {capture.Path} ({capture.PacketCount} packets{(capture.LimitReached ? ", size limit reached" : "")}){Environment.NewLine}");
        }
        description += SaveTopology(capture?.Path);
        return new NetTestFailureReport(description, capture?.Path);
    }

    // A test in a topology: its topology file, with the faults and seeds in force at the failure, next to the
    // pcap, and the one line that brings that network back by hand.
    private string SaveTopology(string? capturePath)
    {
        if (_target.Host?.Topology is not { } topology)
        {
            return "";
        }
        try
        {
            var path = topology.SaveReproduction(_testName, capturePath is null ? null : Path.GetDirectoryName(capturePath));
            return $"topology with the faults in force: {path}{Environment.NewLine}reproduce: isolated-net up {path}{Environment.NewLine}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return $"topology not saved: {e.Message}{Environment.NewLine}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_capture is not null)
            {
                await _capture.DiscardAsync();
            }
        }
        finally
        {
            _target.Dispose();
            _leakScope.Dispose();
        }
    }
}

// What a failing test reports: the description goes after the test's own output; the capture file stays.
internal sealed record NetTestFailureReport(string Description, string? CapturePath)
{
    public string AppendTo(string output) =>
        string.IsNullOrEmpty(output) || output.EndsWith('\n') ? output + Description : output + Environment.NewLine + Description;
}
