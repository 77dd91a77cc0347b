using System.Globalization;
using System.Runtime.ExceptionServices;
using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using Isolated.Net.Netlink;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

/// <summary>
/// A running packet capture: an AF_PACKET socket inside a namespace whose frames a background thread
/// writes to a classic pcap file (readable by Wireshark, <c>tshark -r</c> and <c>tcpdump -r</c>).
/// Start one with <see cref="NetworkNamespace.StartCapture"/>, <see cref="NetHost.StartCapture"/>,
/// <see cref="HostInterface.StartCapture"/> or <see cref="Link.StartCapture"/>; dispose it (or call
/// <see cref="StopAsync"/>) to finish the file, or <see cref="DiscardAsync"/> to delete it.
/// </summary>
/// <remarks>
/// The capture sees every frame from the moment the start method returns: frames already queued on the
/// socket when it is stopped are still written. Writing stops for good at <see cref="PacketCaptureOptions.MaxPackets"/>
/// or <see cref="PacketCaptureOptions.MaxBytes"/> (<see cref="LimitReached"/>). The socket pins the
/// namespace until the capture is stopped.
/// </remarks>
public sealed class PacketCapture : IAsyncDisposable
{
    private const int PollMilliseconds = 100;
    private const int LoopbackIndex = 1; // lo is always index 1 in a network namespace

    private readonly PacketSocketHandle _socket;
    private readonly PcapWriter _writer;
    private readonly PacketCaptureOptions _options;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;
    private long _packetCount;
    private int _limitReached;
    private ExceptionDispatchInfo? _failure;

    private PacketCapture(PacketSocketHandle socket, PcapWriter writer, string path, string source, PacketCaptureOptions options)
    {
        _socket = socket;
        _writer = writer;
        _options = options;
        Path = path;
        Source = source;
    }

    /// <summary>The full path of the pcap file.</summary>
    public string Path { get; }

    /// <summary>What is captured, e.g. <c>client:eth0</c> or <c>client (all interfaces)</c>.</summary>
    public string Source { get; }

    /// <summary>Packets written so far.</summary>
    public long PacketCount => Interlocked.Read(ref _packetCount);

    /// <summary>True once a bound of <see cref="PacketCaptureOptions"/> was reached and writing stopped.</summary>
    public bool LimitReached => Volatile.Read(ref _limitReached) != 0;

    internal static PacketCapture Start(NetworkNamespace ns, string? interfaceName, string source, string? path, PacketCaptureOptions? options)
    {
        ArgumentNullException.ThrowIfNull(ns);
        options ??= PacketCaptureOptions.Default;
        options.Validate();
        if (interfaceName is not null)
        {
            InterfaceName.Validate(interfaceName, nameof(interfaceName));
        }
        path = System.IO.Path.GetFullPath(path ?? DefaultPath(source));
        int index = interfaceName is null ? 0 : ns.Netlink.GetLinkIndex(interfaceName);
        var operation = $"opening a packet socket on {source}";
        // Packet sockets see the devices of the namespace they are created in: create and bind on its thread.
        var socket = ns.Run(() => OpenSocket(index, operation));
        PcapWriter writer;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            writer = new PcapWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024), options.SnapLength);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var capture = new PacketCapture(socket, writer, path, source, options);
        // A thread inherits the namespace of the thread that starts it, and the caller may be a
        // namespace thread: start the reader from the root dispatcher so it lives in the root namespace.
        var reader = new Thread(capture.ReadLoop) { IsBackground = true, Name = "pcap " + source };
        RuntimeWarmup.EnsureRootThreads();
        RootDispatcher.Post(static state => ((Thread)state!).UnsafeStart(), reader);
        return capture;
    }

    /// <summary>Stops capturing, writes the frames still queued and closes the file (kept at <see cref="Path"/>).</summary>
    /// <returns>A task that completes when the file is closed.</returns>
    /// <exception cref="NetworkOperationException">Reading the packet socket failed.</exception>
    public async Task StopAsync()
    {
        _stopRequested = true;
        await _finished.Task.ConfigureAwait(false);
        _failure?.Throw();
    }

    /// <summary>Stops capturing and deletes the file: for a test that passed.</summary>
    /// <returns>A task that completes when the file is gone.</returns>
    public async Task DiscardAsync()
    {
        _stopRequested = true;
        await _finished.Task.ConfigureAwait(false);
        File.Delete(Path);
    }

    /// <summary>Same as <see cref="StopAsync"/>: the file is kept.</summary>
    /// <returns>A task that completes when the file is closed.</returns>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"capture of {Source} → {Path} ({PacketCount} packets{(LimitReached ? ", limit reached" : "")})");

    private static unsafe PacketSocketHandle OpenSocket(int index, string operation)
    {
        ushort protocol = HostToNetwork(ETH_P_ALL);
        int fd = CheckIo(LibC.socket(AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol), operation);
        var socket = new PacketSocketHandle(fd);
        var address = new sockaddr_ll { sll_family = AF_PACKET, sll_protocol = protocol, sll_ifindex = index };
        if (LibC.bind(fd, (sockaddr*)&address, (uint)sizeof(sockaddr_ll)) < 0)
        {
            var error = ErrorFromLastErrno(operation + " (bind)");
            socket.Dispose();
            throw error;
        }
        return socket;
    }

    // $TMPDIR/isolated-net-captures for the machine's root; $TMPDIR/isolated-net-captures-UID (0700, UID
    // outside isolated-net exec's user namespace) for anyone else, so users never share, or fail on, a
    // directory another user made. Not $XDG_RUNTIME_DIR: captures can be large, and that is a small tmpfs.
    internal static string DefaultDirectory()
    {
        var temp = System.IO.Path.GetTempPath();
        if (Namespaces.UserNamespaces.IsRealRoot)
        {
            return System.IO.Path.Combine(temp, "isolated-net-captures");
        }
        var directory = System.IO.Path.Combine(temp, string.Create(CultureInfo.InvariantCulture, $"isolated-net-captures-{Namespaces.UserNamespaces.OuterUid}"));
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    private static string DefaultPath(string source)
    {
        var name = string.Concat(source.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        return System.IO.Path.Combine(DefaultDirectory(),
            string.Create(CultureInfo.InvariantCulture, $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.pcap"));
    }

    private unsafe void ReadLoop()
    {
        var buffer = new byte[_options.SnapLength];
        try
        {
            fixed (byte* data = buffer)
            {
                while (true)
                {
                    bool stopping = _stopRequested;
                    if (!stopping)
                    {
                        var poll = new pollfd { fd = _socket.Fd, events = (short)LibC.POLLIN };
                        int ready = LibC.poll(&poll, 1, PollMilliseconds);
                        if (ready < 0 && LastErrno != EINTR)
                        {
                            throw ErrorFromLastErrno($"waiting for packets on {Source}");
                        }
                        if (ready <= 0)
                        {
                            continue;
                        }
                    }
                    // Drain what is queued; when stopping, this is the last pass.
                    if (!Drain(data, buffer.Length) || stopping)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _socket.Dispose();
            try
            {
                _writer.Dispose();
            }
            catch (IOException ex)
            {
                _failure ??= ExceptionDispatchInfo.Capture(ex);
            }
            _finished.TrySetResult();
        }
    }

    // Returns false once a bound is reached.
    private unsafe bool Drain(byte* data, int length)
    {
        while (true)
        {
            sockaddr_ll from = default;
            socklen_t fromLength = (uint)sizeof(sockaddr_ll);
            long received = LibC.recvfrom(_socket.Fd, data, length, MSG_TRUNC | LibC.MSG_DONTWAIT, (sockaddr*)&from, &fromLength);
            if (received < 0)
            {
                int errno = LastErrno;
                if (errno == EINTR)
                {
                    continue;
                }
                if (errno == EAGAIN)
                {
                    return true;
                }
                throw Error($"reading packets on {Source}", errno);
            }
            if (from.sll_ifindex == LoopbackIndex && from.sll_pkttype == PACKET_OUTGOING)
            {
                continue; // loopback shows each frame twice, as sent and as received; keep one (as tcpdump)
            }
            int kept = (int)Math.Min(received, length);
            if (PacketCount >= _options.MaxPackets || _writer.Length + PcapWriter.RecordHeaderLength + kept > _options.MaxBytes)
            {
                Volatile.Write(ref _limitReached, 1);
                return false;
            }
            _writer.Write(DateTimeOffset.UtcNow, new ReadOnlySpan<byte>(data, kept), (int)received);
            Interlocked.Increment(ref _packetCount);
        }
    }
}
