using System.Buffers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// The request/reply exchange: batching into datagrams, reading acks and dumps, matching them by sequence.
internal sealed unsafe partial class RouteNetlinkSocket
{
    private const int MaxMessagesPerDatagram = 32; // their acks fit the default receive buffer many times over

    private const int MaxDumpAttempts = 8;

    private const int ReplyTimeoutSeconds = 30; // a safety net only: replies are queued before we read

    private delegate void ReplyHandler(NetlinkMessage message);

    private delegate T? ReplyParser<T>(NetlinkMessage message);

    /// <summary>
    /// Sends the requests (in datagrams of up to 32 messages) and waits for every acknowledgement.
    /// The kernel carries on after a failed message, so all of a datagram is read before the first
    /// failure, in request order, is thrown with the kernel's explanation.
    /// </summary>
    public void Execute(params ReadOnlySpan<RouteRequest> requests)
    {
        foreach (var request in requests)
        {
            ArgumentNullException.ThrowIfNull(request, nameof(requests));
            if (request.IsDump)
            {
                throw new ArgumentException($"'{request.Operation}' is a dump; use a query method.", nameof(requests));
            }
        }
        lock (_lock)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                for (int start = 0; start < requests.Length; start += MaxMessagesPerDatagram)
                {
                    var batch = requests.Slice(start, Math.Min(MaxMessagesPerDatagram, requests.Length - start));
                    var outcomes = Exchange(batch, onData: null);
                    for (int i = 0; i < batch.Length; i++)
                    {
                        if (outcomes[i].Errno != 0)
                        {
                            throw Error(batch[i].Operation, outcomes[i].Errno, outcomes[i].KernelMessage);
                        }
                        if (outcomes[i].Incomplete)
                        {
                            // The acknowledgement was dropped (receive queue overrun): the outcome is unknown.
                            throw Error(batch[i].Operation + " (acknowledgement lost)", ENOBUFS);
                        }
                    }
                }
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

    // A dump, or a get answered by one message, collected into a list. A dump that comes back
    // interrupted (NLM_F_DUMP_INTR: the table changed while it was read) or overran our receive
    // queue is thrown away and started again.
    private List<T> Query<T>(RouteRequest request, ReplyParser<T> parse)
    {
        lock (_lock)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                for (int attempt = 1; ; attempt++)
                {
                    var items = new List<T>();
                    var outcome = Exchange([request], message =>
                    {
                        if (parse(message) is { } item)
                        {
                            items.Add(item);
                        }
                    })[0];
                    if (outcome.Errno != 0)
                    {
                        throw Error(request.Operation, outcome.Errno, outcome.KernelMessage);
                    }
                    if (!outcome.Incomplete)
                    {
                        return items;
                    }
                    if (attempt == MaxDumpAttempts)
                    {
                        throw Error($"{request.Operation} (interrupted by concurrent changes {attempt} times in a row)", EAGAIN);
                    }
                }
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

    // Sends the requests in one datagram and reads until each has its final answer: NLMSG_ERROR (an
    // ack or a failure) or, for a dump, NLMSG_DONE. Other messages with a request's sequence number
    // are its data. Runs under _lock with the socket handle held.
    private Outcome[] Exchange(ReadOnlySpan<RouteRequest> requests, ReplyHandler? onData)
    {
        uint first = unchecked(_sequence + 1);
        _sequence = unchecked(_sequence + (uint)requests.Length);
        SendAll(requests, first);

        var outcomes = new Outcome[requests.Length];
        int pending = requests.Length;
        bool draining = false; // after an overrun: read what is queued, then stop
        var buffer = ArrayPool<byte>.Shared.Rent(_receiveSize);
        try
        {
            while (pending > 0)
            {
                int received = Receive(buffer, draining, out int error);
                if (error == ENOBUFS || received > buffer.Length)
                {
                    // The kernel dropped a reply, or this one did not fit: what is pending cannot be trusted.
                    draining = true;
                    MarkPendingIncomplete(outcomes);
                    if (received > buffer.Length)
                    {
                        _receiveSize = Math.Max(_receiveSize, received);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(_receiveSize);
                    }
                    continue;
                }
                if (error == EAGAIN && draining)
                {
                    // Nothing more is coming: replies still missing were lost in the overrun.
                    for (int i = 0; i < outcomes.Length; i++)
                    {
                        outcomes[i].Done = true;
                    }
                    break;
                }
                if (error != 0)
                {
                    var operation = requests[FirstPending(outcomes)].Operation;
                    throw error == EAGAIN
                        ? Error($"{operation} (no reply from the kernel within {ReplyTimeoutSeconds} s)", ETIMEDOUT)
                        : Error($"{operation} (receiving the reply)", error);
                }
                pending -= Dispatch(buffer.AsSpan(0, received), first, outcomes, onData);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return outcomes;
    }

    private void SendAll(ReadOnlySpan<RouteRequest> requests, uint first)
    {
        // Namespace fds named in the messages stay open until the kernel has read them.
        var held = new List<SafeHandle>();
        try
        {
            using var writer = new NetlinkMessageWriter();
            for (int i = 0; i < requests.Length; i++)
            {
                foreach (var handle in requests[i].Handles)
                {
                    if (handle is not null)
                    {
                        bool added = false;
                        handle.DangerousAddRef(ref added);
                        held.Add(handle);
                    }
                }
                requests[i].Encode(writer, unchecked(first + (uint)i));
            }
            var datagram = writer.WrittenSpan;
            fixed (byte* data = datagram)
            {
                while (LibC.send(_handle.Fd, data, datagram.Length, 0) < 0)
                {
                    int error = LastErrno;
                    if (error != EINTR)
                    {
                        throw Error(requests[0].Operation + (requests.Length > 1 ? $" and {requests.Length - 1} more (sending)" : " (sending)"), error);
                    }
                }
            }
        }
        finally
        {
            foreach (var handle in held)
            {
                handle.DangerousRelease();
            }
        }
    }

    // One datagram from the kernel. Returns its full length, which exceeds the buffer when it was
    // truncated (MSG_TRUNC); error is the errno when nothing was received.
    private int Receive(byte[] buffer, bool dontWait, out int error) =>
        _handle.ReceiveFromKernel(buffer, LibC.MSG_TRUNC | (dontWait ? LibC.MSG_DONTWAIT : 0), out error);

    // Records the messages of one datagram against their requests; returns how many requests finished.
    private int Dispatch(ReadOnlySpan<byte> datagram, uint first, Outcome[] outcomes, ReplyHandler? onData)
    {
        int finished = 0;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            uint index = unchecked(message.Sequence - first);
            if (message.Header.nlmsg_pid != PortId || index >= (uint)outcomes.Length || outcomes[index].Done)
            {
                continue; // a late reply to an abandoned request
            }
            ref var outcome = ref outcomes[index];
            if ((message.Flags & NLM_F_DUMP_INTR) != 0)
            {
                outcome.Incomplete = true;
            }
            switch (message.Type)
            {
                case NLMSG_ERROR:
                case NLMSG_DONE:
                    (outcome.Errno, outcome.KernelMessage) = ReadStatus(message);
                    outcome.Done = true;
                    finished++;
                    break;
                case NLMSG_NOOP:
                case NLMSG_OVERRUN:
                    break;
                default:
                    if (!outcome.Incomplete)
                    {
                        onData?.Invoke(message);
                    }
                    break;
            }
        }
        return finished;
    }

    /// <summary>
    /// The errno (positive, 0 for success) and extended-ack text of an NLMSG_ERROR or NLMSG_DONE.
    /// NLMSG_ERROR holds struct nlmsgerr: the negated errno, then our request's header (and its
    /// payload unless NLM_F_CAPPED); NLMSG_DONE holds the negated errno alone. Either is followed by
    /// NLMSGERR_ATTR_* attributes when NLM_F_ACK_TLVS is set.
    /// </summary>
    internal static (int Errno, string? KernelMessage) ReadStatus(NetlinkMessage message)
    {
        var payload = message.Payload;
        if (payload.Length < sizeof(int))
        {
            return (0, null);
        }
        int error = MemoryMarshal.Read<int>(payload);
        int offset = sizeof(int);
        if (message.Type == NLMSG_ERROR && payload.Length >= sizeof(nlmsgerr))
        {
            var request = MemoryMarshal.Read<nlmsghdr>(payload[sizeof(int)..]);
            offset = (message.Flags & NLM_F_CAPPED) != 0 ? sizeof(nlmsgerr) : sizeof(int) + NetlinkAlign((int)request.nlmsg_len);
        }
        string? text = null;
        if ((message.Flags & NLM_F_ACK_TLVS) != 0 && offset < payload.Length)
        {
            var attributes = new NetlinkAttributeReader(payload[offset..]);
            while (attributes.TryRead(out var attribute))
            {
                if (attribute.Type == NLMSGERR_ATTR_MSG)
                {
                    text = attribute.AsString();
                }
            }
        }
        return (-error, string.IsNullOrEmpty(text) ? null : text);
    }

    private static int FirstPending(Outcome[] outcomes)
    {
        for (int i = 0; i < outcomes.Length; i++)
        {
            if (!outcomes[i].Done)
            {
                return i;
            }
        }
        return 0;
    }

    private static void MarkPendingIncomplete(Outcome[] outcomes)
    {
        for (int i = 0; i < outcomes.Length; i++)
        {
            if (!outcomes[i].Done)
            {
                outcomes[i].Incomplete = true;
            }
        }
    }

    private struct Outcome
    {
        public bool Done;
        public bool Incomplete; // interrupted dump, or a reply lost to an overrun
        public int Errno;
        public string? KernelMessage;
    }
}
