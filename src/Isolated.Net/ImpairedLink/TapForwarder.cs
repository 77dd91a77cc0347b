using System.Runtime.ExceptionServices;
using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using Isolated.Net.Netlink;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

// The two TAP ends of an impaired link and the two threads (one per direction) moving frames between
// them. Each TAP is created on its namespace's thread, so the device is born there; its fd pins that
// namespace, so the forwarder registers with the namespace thread as pending work: when the namespace
// is disposed, its thread fails pending work on its way out, which stops the forwarder and closes
// both fds before NetworkNamespace.Dispose returns. When the process dies the fds close with it and
// the kernel removes the devices; nothing needs reaping.
internal sealed unsafe class TapForwarder : NamespaceThread.IFailable
{
    private const int DefaultTapMtu = 1500;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly EventFdHandle _stopEvent;
    private readonly List<NamespaceThread> _namespaceThreads = [];
    private readonly Xoshiro256StarStar _randomAtoB;
    private readonly Xoshiro256StarStar _randomBtoA;
    private TapHandle? _endA;
    private TapHandle? _endB;
    private ImpairmentPump? _pumpAtoB;
    private ImpairmentPump? _pumpBtoA;
    private volatile bool _started;
    private volatile bool _stopping;
    private Exception? _failure;
    private bool? _offloadsA;   // the offloads last set on each end (null: not yet)
    private bool? _offloadsB;

    public TapForwarder(string name, string a, string b, ulong seed, bool realTimePriority, DirectionSettings aToB, DirectionSettings bToA)
    {
        RealTimePriority = realTimePriority;
        _stopEvent = CreateEventFd($"creating impaired link {name} (eventfd)");
        (_randomAtoB, _randomBtoA) = Xoshiro256StarStar.ForLink(seed);
        Public = new ImpairedLinkForwarder(name, seed, new ImpairedDirection(a, b, aToB), new ImpairedDirection(b, a, bToA), this);
    }

    public ImpairedLinkForwarder Public { get; }

    // Makes both TAP ends (with the segment's MTU) and starts forwarding; on failure nothing is left.
    // Equivalent to: ip -n A tuntap add dev IFA mode tap; ip -n B tuntap add dev IFB mode tap; ip link set mtu M
    public static TapForwarder Create(string name, ImpairmentSpec spec, TapEnd a, TapEnd b, int mtu)
    {
        var forwarder = new TapForwarder(name, a.Label, b.Label, spec.Seed, spec.RealTimePriority,
            DirectionSettings.From(spec.AtoB, name, nameof(spec)), DirectionSettings.From(spec.BtoA, name, nameof(spec)));
        if (spec.TraceCapacity > 0)
        {
            forwarder.Public.AtoB.Trace = new FrameTrace(spec.TraceCapacity);
            forwarder.Public.BtoA.Trace = new FrameTrace(spec.TraceCapacity);
        }
        try
        {
            forwarder.CreateEnd(isA: true, a.Namespace, a.InterfaceName, a.Index);
            forwarder.CreateEnd(isA: false, b.Namespace, b.InterfaceName, b.Index);
            forwarder.Public.AtoB.Changed = forwarder.MatchOffloads;
            forwarder.Public.BtoA.Changed = forwarder.MatchOffloads;
            forwarder.MatchOffloads(forwarder.Public.AtoB);
            forwarder.MatchOffloads(forwarder.Public.BtoA);
            if (mtu != DefaultTapMtu)
            {
                a.Namespace.Netlink.Execute(RouteRequest.SetMtu(a.Index, mtu));
                b.Namespace.Netlink.Execute(RouteRequest.SetMtu(b.Index, mtu));
            }
            forwarder.Start();
            return forwarder;
        }
        catch
        {
            forwarder.Stop();
            throw;
        }
    }

    public bool IsStopping => _stopping;

    public bool RealTimePriority { get; }

    public bool IsRealTime => _pumpAtoB?.IsRealTime == true && _pumpBtoA?.IsRealTime == true;

    public bool IsRunning => _started && !_stopping;

    public Exception? Failure => Volatile.Read(ref _failure);

    public IReadOnlyList<int> ThreadIds => _pumpAtoB is null || _pumpBtoA is null ? [] : [_pumpAtoB.ThreadId, _pumpBtoA.ThreadId];

    // Creates end A (the first host, or the host of a switch connection) or end B as a TAP device named
    // NAME with ifindex INDEX inside NS, on the namespace's thread.
    // Equivalent to: ip -n NS tuntap add dev NAME mode tap
    private void CreateEnd(bool isA, NetworkNamespace ns, string name, int index)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var tap = ns.Run(() =>
        {
            var thread = NamespaceThread.Current!;
            var handle = CreateTap(name, index);
            thread.Track(this);
            lock (_gate)
            {
                _namespaceThreads.Add(thread);
            }
            return handle;
        });
        lock (_gate)
        {
            if (!_stopping)
            {
                if (isA)
                {
                    _endA = tap;
                }
                else
                {
                    _endB = tap;
                }
                return;
            }
        }
        tap.Dispose();
        throw new ObjectDisposedException(Public.Name, $"The namespace of impaired link {Public.Name} was disposed while the link was being made.");
    }

    // A TAP's offloads decide what reading it hands out: with them, the stack of the direction's source
    // sends 64 KiB TCP super-frames with partial checksums (few reads, few writes, line rate); without,
    // packets as the user sees them, which per-packet impairments need to decide on each. Called at
    // build time and after every settings change; super-frames the kernel queued before a change still
    // arrive whole and are decided as one frame (README: "Impaired links in userspace").
    // Equivalent to: ethtool -K IF tx on tso on   (or: tx off tso off)
    private void MatchOffloads(ImpairedDirection direction)
    {
        bool isA = ReferenceEquals(direction, Public.AtoB);
        lock (_gate)
        {
            var tap = isA ? _endA : _endB;
            if (_stopping || tap is null)
            {
                return;
            }
            bool wanted = !direction.Current.PerPacket;
            if ((isA ? _offloadsA : _offloadsB) == wanted)
            {
                return;
            }
            try
            {
                SetTapOffloads(tap, wanted, $"{(wanted ? "enabling" : "disabling")} segmentation offloads of impaired link {Public.Name} ({direction.From} end)");
            }
            catch (ObjectDisposedException)
            {
                return; // stopped meanwhile
            }
            if (isA)
            {
                _offloadsA = wanted;
            }
            else
            {
                _offloadsB = wanted;
            }
        }
    }

    // Starts both threads from the root dispatcher, a thread that never enters a namespace: a thread is
    // born in its creator's namespace, and Build may run anywhere.
    private void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, Public);
            if (_endA is null || _endB is null)
            {
                throw new InvalidOperationException("Both ends of the impaired link must exist before it starts.");
            }
            _pumpAtoB = new ImpairmentPump(this, Public.AtoB, _endA, _endB, _stopEvent, new ImpairmentModel(_randomAtoB));
            _pumpBtoA = new ImpairmentPump(this, Public.BtoA, _endB, _endA, _stopEvent, new ImpairmentModel(_randomBtoA));
            _pumpAtoB.Partner = _pumpBtoA;
            _pumpBtoA.Partner = _pumpAtoB;
        }
        ExceptionDispatchInfo? failure = null;
        using var started = new ManualResetEventSlim();
        RootDispatcher.Post(_ =>
        {
            try
            {
                _pumpAtoB.Start(ThreadName(Public.AtoB));
                _pumpBtoA.Start(ThreadName(Public.BtoA));
                _started = true;
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                started.Set();
            }
        }, null);
        started.Wait();
        if (failure is not null)
        {
            Stop();
            failure.Throw();
        }
        _pumpAtoB.WaitUntilReady();
        _pumpBtoA.WaitUntilReady();
    }

    // A pump failed unexpectedly: keep the reason for ImpairedLinkForwarder.Failure, then stop.
    public void Abort(Exception error)
    {
        Interlocked.CompareExchange(ref _failure, error, null);
        Stop();
    }

    // NamespaceThread.IFailable: one end's namespace is being disposed; called on its thread as the
    // thread ends, where an exception would take the process down.
    void NamespaceThread.IFailable.Fail(Exception error)
    {
        try
        {
            Stop();
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
        }
    }

    // Stops both threads (waiting for them unless called from one) and closes every fd. Idempotent.
    public void Stop()
    {
        List<NamespaceThread> threads;
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            threads = [.. _namespaceThreads];
            _namespaceThreads.Clear();
        }
        SignalStop();
        foreach (var pump in new[] { _pumpAtoB, _pumpBtoA })
        {
            if (pump is not null && !pump.IsCurrentThread)
            {
                pump.Join(JoinTimeout);
            }
        }
        // A pump still running holds references: its fds close when it lets go of them.
        _endA?.Dispose();
        _endB?.Dispose();
        _stopEvent.Dispose();
        _pumpAtoB?.DisposeKick();
        _pumpBtoA?.DisposeKick();
        foreach (var thread in threads)
        {
            thread.Untrack(this);
        }
    }

    private void SignalStop() => _stopEvent.Signal();

    // Thread names show in /proc/self/task/*/comm, which keeps 15 bytes.
    private static string ThreadName(ImpairedDirection direction) => "impair " + direction.From + ">" + direction.To;
}

// One end of an impaired link: the label its direction names use, and where its TAP device goes.
internal sealed record TapEnd(string Label, NetworkNamespace Namespace, string InterfaceName, int Index);
