using System.Runtime.Versioning;
using Isolated.Net.Namespaces;

namespace Isolated.Net;

/// <summary>
/// A warm pool of network namespaces, created ahead of need by a background thread, so that building a
/// topology (<see cref="TopologyBuilder.UsePool"/>) or creating a namespace (<see cref="Take"/>) does not
/// wait for the kernel to set one up — the bulk of a small topology's build time.
/// </summary>
/// <remarks>
/// <para>A pooled namespace is never reused: each is fresh, made for one user (loopback up, IPv6
/// duplicate address detection off, as every topology host has), handed out once, and owned by whoever
/// took it from then on. Nothing one test did can reach another through the pool.</para>
/// <para>When the pool is empty, <see cref="Take"/> and builds create namespaces as usual; refilling starts
/// at once, in the background. Disposing the pool releases the namespaces nobody took. Create the pool
/// outside any namespace (not in a body run by <see cref="NetworkNamespace.Run(Action, CancellationToken)"/>):
/// its thread would otherwise be born in that namespace.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class NamespacePool : IDisposable
{
    private readonly Queue<NetworkNamespace> _ready = new();
    private readonly Thread _filler;
    private Exception? _lastFailure;
    private bool _disposed;

    /// <summary>Starts filling a pool of <paramref name="size"/> namespaces in the background.</summary>
    /// <param name="size">How many ready namespaces to keep, 1 to 256.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not in 1–256.</exception>
    /// <exception cref="InvalidOperationException">Called on a namespace thread.</exception>
    public NamespacePool(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 256);
        if (NamespaceThread.Current is not null)
        {
            throw new InvalidOperationException("A NamespacePool must be created outside any network namespace: its filling thread would be born inside this one.");
        }
        Size = size;
        RuntimeWarmup.EnsureRootThreads();
        _filler = new Thread(Fill) { IsBackground = true, Name = "isolated-pool" };
        _filler.UnsafeStart();
    }

    /// <summary>How many ready namespaces the pool keeps.</summary>
    public int Size { get; }

    /// <summary>How many ready namespaces the pool holds right now.</summary>
    public int Available
    {
        get
        {
            lock (_ready)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>
    /// The last error the background thread met creating a namespace (for instance missing privileges),
    /// or null. The pool keeps trying, less often; <see cref="Take"/> still works by creating directly.
    /// </summary>
    public Exception? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>
    /// A fresh namespace from the pool, or a newly created one when the pool is empty. The caller owns
    /// it and disposes it; it never returns to the pool.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public NetworkNamespace Take() =>
        TryTake() ?? NetworkNamespace.BeginCreate(null, Preparation).Complete();

    /// <summary>Disposes the namespaces nobody took and stops refilling.</summary>
    public void Dispose()
    {
        List<NetworkNamespace> left;
        lock (_ready)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            left = [.. _ready];
            _ready.Clear();
            Monitor.PulseAll(_ready);
        }
        foreach (var ns in left)
        {
            ns.Dispose();
        }
    }

    // Pooled namespaces are prepared as every topology host is; a router's forwarding is switched on
    // when it is taken (TopologyFactory).
    internal static NamespacePreparation Preparation => NamespacePreparation.Host(isRouter: false);

    // For tests: the namespaces ready right now.
    internal IReadOnlyList<ulong> ReadyInodes()
    {
        lock (_ready)
        {
            return [.. _ready.Select(ns => ns.Inode)];
        }
    }

    /// <summary>A ready namespace, or null when the pool is empty.</summary>
    internal NetworkNamespace? TryTake()
    {
        lock (_ready)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_ready.TryDequeue(out var ns))
            {
                Monitor.PulseAll(_ready);
                return ns;
            }
            return null;
        }
    }

    private void Fill()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            lock (_ready)
            {
                while (!_disposed && _ready.Count >= Size)
                {
                    Monitor.Wait(_ready);
                }
                if (_disposed)
                {
                    return;
                }
            }
            NetworkNamespace ns;
            try
            {
                ns = NetworkNamespace.TryCreateHere(Preparation) ?? NetworkNamespace.BeginCreate(null, Preparation).Complete();
                backoff = TimeSpan.FromMilliseconds(50);
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _lastFailure, ex);
                lock (_ready)
                {
                    Monitor.Wait(_ready, backoff);
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                continue;
            }
            bool keep;
            lock (_ready)
            {
                keep = !_disposed;
                if (keep)
                {
                    _ready.Enqueue(ns);
                }
            }
            if (!keep)
            {
                ns.Dispose();
                return;
            }
        }
    }
}
