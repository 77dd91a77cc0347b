using System.Reflection;
using System.Runtime.CompilerServices;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Commands;

namespace Isolated.Net.NUnit;

// Runs the rest of a test's command chain on a namespace thread. NUnit gives each test two of these
// (see NetworkIsolatedAttribute.Wrap): one around SetUp/TearDown, one around the method. The outer one
// enters when SetUpInside is set and passes through otherwise; the inner one enters unless an outer one
// already did. A lone command (NUnit used a class-level attribute at one site only) always enters.
internal sealed class NamespaceTestCommand : DelegatingTestCommand
{
    private readonly NetworkIsolatedAttribute _attribute;
    private readonly bool _aroundSetUp;

    public NamespaceTestCommand(TestCommand innerCommand, NetworkIsolatedAttribute attribute, bool aroundSetUp)
        : base(innerCommand)
    {
        _attribute = attribute;
        _aroundSetUp = aroundSetUp;
    }

    public override TestResult Execute(TestExecutionContext context)
    {
        NetworkIsolatedAttribute.ForgetPendingWrap();
        if (NetTestContext.Namespace is not null || (_aroundSetUp && !_attribute.SetUpInside))
        {
            return innerCommand.Execute(context);
        }
        return RunInside(context);
    }

    private TestResult RunInside(TestExecutionContext context)
    {
        PrivilegeGate.ThrowIfMissing();
        Topology? topology = null;
        NetHost? host = null;
        NetworkNamespace ns;
        if (_attribute.Host is { } hostName)
        {
            var fixture = context.TestObject as TopologyFixture
                ?? throw new InvalidOperationException($"[NetworkIsolated(\"{hostName}\")] needs the test's fixture to derive from {nameof(TopologyFixture)}; static tests have no fixture instance.");
            topology = fixture.Topology;
            host = topology[hostName];
            ns = host.Namespace;
        }
        else
        {
            ns = NetworkNamespace.Create();
        }

        bool failed = false;
        PacketCapture? capture = null;
        try
        {
            if (_attribute.Capture)
            {
                capture = host?.StartCapture() ?? ns.StartCapture();
            }
            // The AsyncLocal flows into the namespace thread with the captured ExecutionContext.
            NetTestContext.Set(ns, host);
            var keepNamespaceContext = innerCommand is TestMethodCommand && !IsAsync(context.CurrentTest.Method);
            var result = ns.Run(() => ExecuteOnNamespaceThread(context, keepNamespaceContext), context.CancellationToken);
            failed = result.ResultState.Status == TestStatus.Failed;
            return result;
        }
        catch (Exception ex)
        {
            // Assert.Ignore, Assert.Inconclusive and Assert.Pass travel as exceptions too, wrapped by
            // NUnit's reflection call in an NUnitException.
            var cause = ex is NUnitException { InnerException: { } inner } ? inner : ex;
            failed = cause is not ResultStateException { ResultState.Status: not TestStatus.Failed };
            throw;
        }
        finally
        {
            try
            {
                if (failed)
                {
                    context.OutWriter.WriteLine("Isolated.Net: the test failed; its network as the kernel sees it now:");
                    context.OutWriter.Write(topology is not null ? topology.Describe() : "fresh namespace of this test: " + ns.Describe());
                    SaveTopology(context, topology, capture);
                }
            }
            finally
            {
                KeepCaptureIfFailed(context, capture, failed);
                NetTestContext.Clear();
                if (host is null)
                {
                    ns.Dispose();
                }
            }
            CheckStrayThreads(context, failed);
        }
    }

    // A failing test in a topology saves its topology file (faults and seeds as they are now) next to its
    // pcap, and prints the line that brings that network back by hand.
    private static void SaveTopology(TestExecutionContext context, Topology? topology, PacketCapture? capture)
    {
        if (topology is null)
        {
            return;
        }
        try
        {
            var path = topology.SaveReproduction(context.CurrentTest.ClassName?.Split('.')[^1] + "." + context.CurrentTest.MethodName,
                capture is null ? null : Path.GetDirectoryName(capture.Path));
            context.OutWriter.WriteLine($"topology with the faults in force: {path}");
            context.OutWriter.WriteLine($"reproduce: isolated-net up {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            context.OutWriter.WriteLine($"topology not saved: {e.Message}");
        }
    }

    // A failing test keeps its pcap file as an attachment of the result; a passing one deletes it.
    private static void KeepCaptureIfFailed(TestExecutionContext context, PacketCapture? capture, bool failed)
    {
        if (capture is null)
        {
            return;
        }
        if (!failed)
        {
            capture.DiscardAsync().GetAwaiter().GetResult();
            return;
        }
        capture.StopAsync().GetAwaiter().GetResult();
        context.OutWriter.WriteLine($"Isolated.Net: packet capture of {capture.Source}: {capture.Path} ({capture.PacketCount} packets{(capture.LimitReached ? ", size limit reached" : "")})");
        TestContext.AddTestAttachment(capture.Path, "packet capture of " + capture.Source);
    }

    private TestResult ExecuteOnNamespaceThread(TestExecutionContext context, bool keepNamespaceContext)
    {
        if (keepNamespaceContext)
        {
            return innerCommand.Execute(context);
        }
        // NUnit awaits an async test (or SetUp) by blocking the calling thread. Under the namespace's own
        // SynchronizationContext the continuations would queue behind that blocked thread: a deadlock.
        // With IsSingleThreaded and no context, NUnit pumps its SingleThreadedTestSynchronizationContext
        // right here instead, so every continuation still runs on this thread, inside the namespace.
        var namespaceContext = SynchronizationContext.Current;
        var wasSingleThreaded = context.IsSingleThreaded;
        SynchronizationContext.SetSynchronizationContext(null);
        context.IsSingleThreaded = true;
        try
        {
            return innerCommand.Execute(context);
        }
        finally
        {
            context.IsSingleThreaded = wasSingleThreaded;
            SynchronizationContext.SetSynchronizationContext(namespaceContext);
        }
    }

    private static void CheckStrayThreads(TestExecutionContext context, bool failed)
    {
        try
        {
            NamespaceLeakDetector.ThrowIfStrayThreads();
        }
        catch (InvalidOperationException ex) when (failed)
        {
            // The test's own failure is already propagating; report the strays beside it.
            context.OutWriter.WriteLine(ex.Message);
        }
    }

    // A synchronous body wrapped directly runs as a body passed to NetworkNamespace.Run does, under
    // the namespace's own context. Anything else between (SetUp, actions, other wrappers) may await,
    // so it gets NUnit's pump.
    private static bool IsAsync(IMethodInfo? method) =>
        method is not null
        && (method.MethodInfo.IsDefined(typeof(AsyncStateMachineAttribute), inherit: false)
            || method.ReturnType.Type.GetMethod(nameof(Task.GetAwaiter), BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null);
}
