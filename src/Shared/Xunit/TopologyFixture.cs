// Compiled into both xUnit adapters (Isolated.Net.Xunit for v2, Isolated.Net.Xunit.V3 for v3), each in
// its own namespace: the same fixture and context types, written once.
#if ISOLATED_NET_XUNIT_V3
namespace Isolated.Net.Xunit.V3;
#else
namespace Isolated.Net.Xunit;
#endif

/// <summary>
/// A class or collection fixture (on xUnit v3 also an assembly fixture) that owns one <see cref="Net.Topology"/>. Derive from it, describe the
/// network in <see cref="Configure"/>, use it with <c>IClassFixture&lt;T&gt;</c> or
/// <c>ICollectionFixture&lt;T&gt;</c> and take <c>T</c> in the test class's constructor; then
/// <c>[NetFact(Host = "client")]</c> runs the body inside that host. The topology is built on first
/// use, not when xunit creates the fixture, so unprivileged runs skip cleanly. If the build fails, the
/// error is kept and every test using the fixture fails with it (the build is not retried).
/// </summary>
public abstract class TopologyFixture : IDisposable
{
    private readonly Lock _lock = new();
    private Topology? _topology;
    private Exception? _buildFailure;
    private bool _disposed;

    /// <summary>
    /// The topology, built on first access. Thread-safe.
    /// </summary>
    /// <exception cref="InvalidOperationException">The build failed (now or at an earlier access); the inner exception is the original error.</exception>
    /// <exception cref="ObjectDisposedException">The fixture was disposed.</exception>
    public Topology Topology
    {
        get
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_topology is null && _buildFailure is null)
                {
                    try
                    {
                        var builder = Configure(new TopologyBuilder())
                            ?? throw new InvalidOperationException($"{GetType().Name}.Configure returned null; return the builder it was given, extended.");
                        _topology = builder.Build();
                    }
                    catch (Exception ex)
                    {
                        _buildFailure = ex;
                    }
                }
                if (_buildFailure is not null)
                {
                    throw new InvalidOperationException(
                        $"The topology of fixture {GetType().Name} failed to build, so every test using it fails: {_buildFailure.GetType().Name}: {_buildFailure.Message}",
                        _buildFailure);
                }
                return _topology!;
            }
        }
    }

    /// <summary>True once the topology was built successfully.</summary>
    public bool IsBuilt
    {
        get
        {
            lock (_lock)
            {
                return _topology is not null;
            }
        }
    }

    /// <summary>The host named <paramref name="host"/>; builds the topology on first use.</summary>
    /// <param name="host">A host or router name.</param>
    public NetHost this[string host] => Topology[host];

    /// <summary>Disposes the topology, if it was built.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Describes the network: add hosts, switches, links and routes to <paramref name="builder"/> and return it.</summary>
    /// <param name="builder">An empty builder.</param>
    /// <returns>The builder with the network added (builders are immutable: return the result of the calls).</returns>
    protected abstract TopologyBuilder Configure(TopologyBuilder builder);

    /// <summary>Releases the topology. Override to release more; call the base.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        Topology? topology;
        lock (_lock)
        {
            _disposed = true;
            topology = _topology;
            _topology = null;
        }
        topology?.Dispose();
    }
}
