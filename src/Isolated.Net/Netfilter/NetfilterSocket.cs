using System.Buffers;
using System.Runtime.InteropServices;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netfilter;

// A NETLINK_NETFILTER socket bound inside one network namespace, for nf_tables transactions. Created on
// the namespace's thread (which ties it to that namespace), usable from any thread after.
//
// nfnetlink processes a batch synchronously inside sendmsg(): it runs every message, then commits the
// transaction or aborts it, and only then queues the replies (an ack for each message that asked,
// an error for each that failed, first a commit error against BATCH_BEGIN if the commit failed). So
// when send() returns everything is queued: read until each message is answered, and after the first
// error read only what is already there. Replies are matched on sequence number and port id, as
// vishvananda/netlink's executeIter does.
internal sealed unsafe class NetfilterSocket : IDisposable
{
    private const int ReplyTimeoutSeconds = 30; // a safety net only: replies are queued before we read
    private const int ReceiveSize = 64 * 1024;
    private const int ReceiveBufferPerMessage = 2048; // an ack's socket-buffer cost, generously

    private readonly NetlinkSocketHandle _handle;
    private readonly string _where;
    private readonly Lock _lock = new();
    private uint _sequence;

    private NetfilterSocket(NetlinkSocketHandle handle, string where, uint portId)
    {
        _handle = handle;
        _where = where;
        PortId = portId;
        _sequence = (uint)Random.Shared.Next();
    }

    /// <summary>The port id the kernel gave this socket (nl_pid); replies are addressed to it.</summary>
    public uint PortId { get; }

    /// <summary>Opens a socket inside <paramref name="ns"/> (socket() runs on its thread), then binds it.</summary>
    public static NetfilterSocket Open(NetworkNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        string where = " in " + ns;
        int fd = ns.Run(() =>
        {
            int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_NETFILTER);
            return fd >= 0 ? fd : throw ErrorFromLastErrno("opening a netfilter netlink socket (socket AF_NETLINK NETLINK_NETFILTER)" + where);
        });
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            return new NetfilterSocket(handle, where, Configure(fd, where));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="messages"/> as one nf_tables transaction and checks every acknowledgement.
    /// The kernel applies all of them or none; the first failure, in message order, is thrown with the
    /// kernel's explanation and the namespace named.
    /// </summary>
    public void Execute(IReadOnlyList<NftMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                ExecuteLocked(messages);
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    private static uint Configure(int fd, string where)
    {
        SetOptionIfSupported(fd, NETLINK_EXT_ACK, "NETLINK_EXT_ACK", where);
        SetOptionIfSupported(fd, NETLINK_CAP_ACK, "NETLINK_CAP_ACK", where);
        var timeout = new timeval { tv_sec = ReplyTimeoutSeconds };
        CheckIo(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(timeval)), "setting the netfilter netlink reply timeout (SO_RCVTIMEO)" + where);
        var address = new sockaddr_nl { nl_family = (ushort)LibC.AF_NETLINK };
        CheckIo(LibC.bind(fd, (sockaddr*)&address, (uint)sizeof(sockaddr_nl)), "binding the netfilter netlink socket" + where);
        socklen_t length = (uint)sizeof(sockaddr_nl);
        CheckIo(LibC.getsockname(fd, (sockaddr*)&address, &length), "reading the netfilter netlink port id (getsockname)" + where);
        return address.nl_pid;
    }

    private static void SetOptionIfSupported(int fd, int option, string name, string where)
    {
        int on = 1;
        if (LibC.setsockopt(fd, SOL_NETLINK, option, &on, sizeof(int)) != 0 && LastErrno != LibC.ENOPROTOOPT)
        {
            throw ErrorFromLastErrno($"enabling {name} on the netfilter netlink socket{where}");
        }
    }

    private void ExecuteLocked(IReadOnlyList<NftMessage> messages)
    {
        // Sequence numbers: BATCH_BEGIN, the messages, BATCH_END.
        uint begin = unchecked(_sequence + 1);
        _sequence = unchecked(_sequence + (uint)messages.Count + 2);
        uint end = unchecked(begin + 1 + (uint)messages.Count);
        string batch = messages.Count == 1
            ? messages[0].Operation + _where
            : $"applying an nftables transaction of {messages.Count} messages ({messages[0].Operation}, ...){_where}";

        EnsureReceiveBuffer(messages.Count);
        using (var writer = new NetlinkMessageWriter(1024))
        {
            NftBatch.Encode(writer, begin, messages);
            var datagram = writer.WrittenSpan;
            fixed (byte* data = datagram)
            {
                while (LibC.send(_handle.Fd, data, datagram.Length, 0) < 0)
                {
                    int error = LastErrno;
                    if (error != EINTR)
                    {
                        throw Error(batch + " (sending)", error);
                    }
                }
            }
        }

        var outcomes = new Outcome[messages.Count];
        (int Errno, string? Text)? batchError = null;
        int pending = messages.Count;
        bool draining = false;
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveSize);
        try
        {
            while (pending > 0)
            {
                int received = Receive(buffer, draining, out int error);
                if (error == EAGAIN && draining)
                {
                    break; // all that the kernel queued has been read
                }
                if (error == ENOBUFS)
                {
                    draining = true; // replies were dropped: keep what is still queued
                    batchError ??= (ENOBUFS, null);
                    continue;
                }
                if (error != 0)
                {
                    throw error == EAGAIN
                        ? Error($"{batch} (no reply from the kernel within {ReplyTimeoutSeconds} s)", ETIMEDOUT)
                        : Error($"{batch} (receiving the reply)", error);
                }
                var reader = new NetlinkMessageReader(buffer.AsSpan(0, Math.Min(received, buffer.Length)));
                while (reader.TryRead(out var reply))
                {
                    if (reply.Header.nlmsg_pid != PortId || reply.Type != NLMSG_ERROR)
                    {
                        continue;
                    }
                    var (errno, text) = RouteNetlinkSocket.ReadStatus(reply);
                    uint index = unchecked(reply.Sequence - begin - 1);
                    if (index < (uint)outcomes.Length)
                    {
                        if (!outcomes[index].Done)
                        {
                            outcomes[index] = new Outcome { Done = true, Errno = errno, KernelMessage = text };
                            pending--;
                        }
                    }
                    else if ((reply.Sequence == begin || reply.Sequence == end) && errno != 0)
                    {
                        batchError ??= (errno, text);
                    }
                    else
                    {
                        continue;
                    }
                    if (errno != 0)
                    {
                        draining = true; // the transaction is aborted: read what is queued, wait for nothing
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        for (int i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Errno != 0)
            {
                throw Error(messages[i].Operation + _where, outcomes[i].Errno, outcomes[i].KernelMessage);
            }
        }
        if (batchError is { } failed)
        {
            throw failed.Errno == ENOBUFS
                ? Error(batch + " (acknowledgements lost: the outcome is unknown)", ENOBUFS)
                : Error(batch, failed.Errno, failed.Text);
        }
        if (pending > 0)
        {
            throw Error(batch + " (acknowledgements missing)", ENOBUFS);
        }
    }

    // Every message's ack is queued at once: make room for them (capped by net.core.rmem_max).
    private void EnsureReceiveBuffer(int messages)
    {
        int size = Math.Max(256 * 1024, (messages + 2) * ReceiveBufferPerMessage);
        // Best effort: where it fails the default buffer holds a few hundred acks, and a lost one is reported.
        _ = LibC.setsockopt(_handle.Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &size, sizeof(int));
    }

    // One datagram from the kernel; error is the errno when nothing was received.
    private int Receive(byte[] buffer, bool dontWait, out int error) =>
        _handle.ReceiveFromKernel(buffer, dontWait ? LibC.MSG_DONTWAIT : 0, out error);

    private struct Outcome
    {
        public bool Done;
        public int Errno;
        public string? KernelMessage;
    }
}
