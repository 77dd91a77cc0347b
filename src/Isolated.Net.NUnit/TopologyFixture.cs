using NUnit.Framework;

namespace Isolated.Net.NUnit;

/// <summary>
/// A fixture that owns one <see cref="Net.Topology"/>: derive the test class from it and describe the
/// network in <see cref="Configure"/>. The topology is built in OneTimeSetUp (from NUnit's thread, in
/// the root namespace), before the derived class's own OneTimeSetUp, and disposed in OneTimeTearDown,
/// after the derived class's. <c>[NetworkIsolated("client")]</c> runs a test body inside that host.
/// Without the privileges the whole fixture is Ignored with <see cref="NetworkPrivileges.Requirement"/>
/// as the reason; a failed build fails every test of the fixture with the build's error.
/// </summary>
/// <remarks>
/// Needs NUnit's default <c>LifeCycle.SingleInstance</c>: the topology lives in the fixture instance.
/// </remarks>
[RequiresNetworkPrivileges]
public abstract class TopologyFixture
{
    private Topology? _topology;

    /// <summary>The topology, from OneTimeSetUp until OneTimeTearDown.</summary>
    /// <exception cref="InvalidOperationException">Accessed before OneTimeSetUp built it or after OneTimeTearDown disposed it.</exception>
    public Topology Topology => Volatile.Read(ref _topology)
        ?? throw new InvalidOperationException($"The topology of {GetType().Name} exists from its OneTimeSetUp to its OneTimeTearDown; it is not built yet, failed to build, or was disposed.");

    /// <summary>The host named <paramref name="host"/> of <see cref="Topology"/>.</summary>
    /// <param name="host">A host or router name.</param>
    public NetHost this[string host] => Topology[host];

    /// <summary>Builds the topology <see cref="Configure"/> describes. NUnit calls it once, before the tests.</summary>
    [OneTimeSetUp]
    public void BuildTopology()
    {
        PrivilegeGate.ThrowIfMissing();
        var builder = Configure(new TopologyBuilder())
            ?? throw new InvalidOperationException($"{GetType().Name}.Configure returned null; return the builder it was given, extended.");
        var built = builder.Build();
        if (Interlocked.CompareExchange(ref _topology, built, null) is not null)
        {
            built.Dispose();
            throw new InvalidOperationException($"The topology of {GetType().Name} was already built; BuildTopology runs once, as OneTimeSetUp.");
        }
    }

    /// <summary>Disposes the topology. NUnit calls it once, after the tests.</summary>
    [OneTimeTearDown]
    public void DisposeTopology() => Interlocked.Exchange(ref _topology, null)?.Dispose();

    /// <summary>Describes the network: add hosts, switches, links and routes to <paramref name="builder"/> and return it.</summary>
    /// <param name="builder">An empty builder.</param>
    /// <returns>The builder with the network added (builders are immutable: return the result of the calls).</returns>
    protected abstract TopologyBuilder Configure(TopologyBuilder builder);
}
