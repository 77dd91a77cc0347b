using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Isolated.Net.Testing;

namespace Isolated.Net.Tests.Faults;

// Real traffic from inside the namespaces, and iproute2's tc as the independent oracle.
internal static class FaultTraffic
{
    /// <summary>`tc -j ARGS` inside the namespace, parsed.</summary>
    public static JsonElement TcJson(NetworkNamespace ns, params string[] args)
    {
        var (code, stdout, stderr) = Oracle.Exec("nsenter", ["--net=" + ns.ProcPath, "tc", "-j", .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"tc -j {string.Join(' ', args)} failed ({code}): {stderr}");
        }
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(stdout) ? "[]" : stdout);
        return doc.RootElement.Clone();
    }

    /// <summary>The qdisc kinds on a device, e.g. ["noqueue"] or ["tbf", "clsact"].</summary>
    public static string[] QdiscKinds(NetworkNamespace ns, string device) =>
        [.. TcJson(ns, "qdisc", "show", "dev", device).EnumerateArray().Select(q => q.GetProperty("kind").GetString()!)];

    /// <summary>`tc filter show dev DEVICE ingress` as text (the JSON form varies between iproute2 versions).</summary>
    public static string IngressFilters(NetworkNamespace ns, string device)
    {
        var (code, stdout, stderr) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "tc", "filter", "show", "dev", device, "ingress");
        return code == 0 ? stdout : throw new InvalidOperationException($"tc filter show failed ({code}): {stderr}");
    }

    /// <summary>`nft list ruleset` inside the namespace, as text ("" when it has no tables).</summary>
    public static string NftListRuleset(NetworkNamespace ns)
    {
        var (code, stdout, stderr) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "nft", "list", "ruleset");
        return code == 0 ? stdout : throw new InvalidOperationException($"nft list ruleset failed ({code}): {stderr}");
    }

    /// <summary>The UDP receive-buffer drops of a namespace (/proc/net/snmp read from inside it).</summary>
    public static long UdpReceiveBufferErrors(NetworkNamespace ns)
    {
        var (_, stdout, _) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "cat", "/proc/net/snmp");
        var lines = stdout.Split('\n').Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "RcvbufErrors")], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends a message on <paramref name="from"/> and reads it on <paramref name="to"/>, or null when nothing came within the time.</summary>
    public static async Task<string?> TransferAsync(Socket from, Socket to, string message, TimeSpan within)
    {
        await from.SendAsync(Encoding.UTF8.GetBytes(message));
        return await ReceiveAsync(to, Encoding.UTF8.GetByteCount(message), within);
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes, or null when they do not all come within the time.</summary>
    public static async Task<string?> ReceiveAsync(Socket socket, int length, TimeSpan within)
    {
        var buffer = new byte[length];
        int read = 0;
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (read < length)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    throw new InvalidOperationException("the connection was closed");
                }
                read += n;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(buffer);
    }

    // How long a round waits for more datagrams after the last send (and after each one that came since):
    // longer than a router's first IPv6 neighbour lookup towards a host, which can take a second.
    private static readonly TimeSpan QuietAfterSending = TimeSpan.FromSeconds(3);

    /// <summary>Sends <paramref name="count"/> numbered datagrams and returns the numbers that arrived.</summary>
    public static async Task<SortedSet<int>> UdpRoundAsync(NetHost sender, NetHost receiver, IPAddress target, int count, int port = 9000)
    {
        using var inbound = receiver.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        inbound.ReceiveBufferSize = 1 << 20;
        inbound.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        using var outbound = sender.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var arrived = new SortedSet<int>();
        // The round ends once the sender is done and then nothing arrives for a while. No time limit runs
        // while it sends: on a busy machine the sender may be held up for longer than any quiet period.
        using var quiet = new CancellationTokenSource();
        bool sent = false;
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[64];
            EndPoint any = new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (true)
            {
                try
                {
                    var result = await inbound.ReceiveFromAsync(buffer, any, quiet.Token);
                    arrived.Add(BitConverter.ToInt32(buffer, 0));
                    if (Volatile.Read(ref sent))
                    {
                        quiet.CancelAfter(QuietAfterSending); // a datagram came: wait as long again
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        var endpoint = new IPEndPoint(target, port);
        var payload = new byte[32];
        for (int i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            await outbound.SendToAsync(payload, endpoint);
            if (i % 50 == 49)
            {
                await Task.Delay(2); // pace: the receiver keeps up, the veth backlog never overflows
            }
        }
        Volatile.Write(ref sent, true);
        quiet.CancelAfter(QuietAfterSending);
        await receiving;
        return arrived;
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> over one TCP connection from <paramref name="sender"/> to
    /// <paramref name="receiver"/>; returns the time from the first send until the receiver had them all.
    /// </summary>
    public static async Task<TimeSpan> TcpTransferTimeAsync(NetHost sender, NetHost receiver, IPAddress target, int bytes, int port = 7100)
    {
        using var listener = receiver.Listen(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        using var client = await sender.ConnectTcpAsync(target.ToString(), port);
        using var server = await listener.AcceptAsync();
        var clock = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[16 * 1024];
            for (int left = bytes; left > 0; left -= chunk.Length)
            {
                await client.SendAsync(chunk.AsMemory(0, Math.Min(left, chunk.Length)));
            }
        });
        var buffer = new byte[64 * 1024];
        long received = 0;
        while (received < bytes)
        {
            int n = await server.ReceiveAsync(buffer);
            if (n == 0)
            {
                throw new InvalidOperationException($"the connection closed after {received} of {bytes} bytes");
            }
            received += n;
        }
        var elapsed = clock.Elapsed;
        await sending;
        return elapsed;
    }
}
