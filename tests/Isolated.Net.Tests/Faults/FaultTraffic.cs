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

    /// <summary>Sends <paramref name="count"/> numbered datagrams and returns the numbers that arrived.</summary>
    public static async Task<SortedSet<int>> UdpRoundAsync(Host sender, Host receiver, IPAddress target, int count, int port = 9000)
    {
        using var inbound = receiver.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        inbound.ReceiveBufferSize = 1 << 20;
        inbound.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        using var outbound = sender.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var arrived = new SortedSet<int>();
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[64];
            EndPoint any = new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            using var quiet = new CancellationTokenSource();
            while (true)
            {
                // The round ends after 0.5 s of silence; the first datagram gets 3 s, as a router's first
                // IPv6 neighbour lookup towards a host can take a second.
                quiet.CancelAfter(TimeSpan.FromMilliseconds(arrived.Count == 0 ? 3000 : 500));
                try
                {
                    var result = await inbound.ReceiveFromAsync(buffer, any, quiet.Token);
                    arrived.Add(BitConverter.ToInt32(buffer, 0));
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
        await receiving;
        return arrived;
    }

    /// <summary>Bits per second a TCP stream gets from <paramref name="sender"/> to <paramref name="receiver"/>, measured at the receiver after a warm-up.</summary>
    public static async Task<double> TcpThroughputAsync(Host sender, Host receiver, IPAddress target, TimeSpan warmUp, TimeSpan measure, int port = 7100)
    {
        using var listener = receiver.Listen(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
        using var client = await sender.ConnectTcpAsync(target.ToString(), port);
        using var server = await listener.AcceptAsync();
        using var stop = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[16 * 1024];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await client.SendAsync(chunk, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var buffer = new byte[64 * 1024];
        var clock = Stopwatch.StartNew();
        long counted = 0;
        TimeSpan? measureStart = null;
        while (clock.Elapsed < warmUp + measure)
        {
            int n = await server.ReceiveAsync(buffer);
            if (clock.Elapsed >= warmUp)
            {
                measureStart ??= clock.Elapsed;
                counted += n;
            }
        }
        var elapsed = clock.Elapsed - measureStart!.Value;
        await stop.CancelAsync();
        client.Close(0);
        await sending;
        return counted * 8 / elapsed.TotalSeconds;
    }
}
