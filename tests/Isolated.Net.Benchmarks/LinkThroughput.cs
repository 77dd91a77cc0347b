using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Isolated.Net;

// (g) TCP throughput of a userspace impaired link (TAP ends and the library's forwarder) beside a kernel
// veth link, measured with one bulk transfer from inside host a to host b; for the impaired link also
// the CPU its two forwarder threads used (user + system, from /proc/self/task/TID/stat).
internal static class LinkThroughput
{
    public sealed record Result(double BitsPerSecond, double ForwarderCpuSeconds, double Seconds)
    {
        // Cores busy per Gbit/s carried: forwarder CPU time over wall time, per Gbit/s.
        public double CoresPerGbit => BitsPerSecond <= 0 ? double.NaN : ForwarderCpuSeconds / Seconds / (BitsPerSecond / 1e9);
    }

    public static async Task<double> MeasureAsync(bool impaired, TimeSpan duration) =>
        (await MeasureAsync(impaired, duration, configure: null, warmUp: TimeSpan.Zero, socketBuffer: 0)).BitsPerSecond;

    // CONFIGURE impairs the link (null: unimpaired); WARMUP is left out of the figure (TCP's slow start
    // across a long delay); SOCKETBUFFER (bytes, 0: the kernel's autotuning) is forced on both sockets
    // before the handshake, so the window can cover the bandwidth-delay product.
    public static async Task<Result> MeasureAsync(bool impaired, TimeSpan duration, Action<ImpairedLinkOptions>? configure, TimeSpan warmUp, int socketBuffer)
    {
        var builder = new TopologyBuilder().AddHost("a").AddHost("b");
        builder = impaired ? builder.ImpairedLink("a", "b", configure ?? (_ => { })) : builder.Link("a", "b");
        await using var net = builder.Build();
        using var listener = net["b"].CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        ForceBuffers(listener, socketBuffer);
        listener.Bind(new IPEndPoint(IPAddress.Any, 5001));
        listener.Listen();
        using var sender = net["a"].CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        ForceBuffers(sender, socketBuffer);
        await sender.ConnectAsync(new IPEndPoint(net.AddressOf("b"), 5001));
        using var receiver = await listener.AcceptAsync();
        long received = 0;
        var draining = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = await receiver.ReceiveAsync(buffer)) > 0)
            {
                Interlocked.Add(ref received, n);
            }
        });
        var threads = impaired ? net.GetLink("a", "b").Forwarder.ThreadIds : [];
        var chunk = new byte[256 * 1024];
        var clock = Stopwatch.StartNew();
        long startBytes = 0;
        double startCpu = 0, startSeconds = 0;
        bool warm = warmUp <= TimeSpan.Zero;
        if (warm)
        {
            startCpu = CpuSeconds(threads);
        }
        while (clock.Elapsed < warmUp + duration)
        {
            if (!warm && clock.Elapsed >= warmUp)
            {
                warm = true;
                startBytes = Interlocked.Read(ref received);
                startCpu = CpuSeconds(threads);
                startSeconds = clock.Elapsed.TotalSeconds;
            }
            await sender.SendAsync(chunk);
        }
        // Counted up to the end of the sending: what is still in flight is not the link's rate.
        long endBytes = Interlocked.Read(ref received);
        double seconds = clock.Elapsed.TotalSeconds - startSeconds;
        double cpu = CpuSeconds(threads) - startCpu;
        sender.Shutdown(SocketShutdown.Send);
        await draining.WaitAsync(TimeSpan.FromSeconds(30));
        return new Result((endBytes - startBytes) * 8 / seconds, cpu, seconds);
    }

    // SO_SNDBUFFORCE and SO_RCVBUFFORCE (root): past net.core.[rw]mem_max, which is not per namespace.
    private static void ForceBuffers(Socket socket, int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }
        const int SOL_SOCKET = 1, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
        var value = BitConverter.GetBytes(bytes);
        socket.SetRawSocketOption(SOL_SOCKET, SO_SNDBUFFORCE, value);
        socket.SetRawSocketOption(SOL_SOCKET, SO_RCVBUFFORCE, value);
    }

    // utime + stime of the given threads of this process, in seconds.
    private static double CpuSeconds(IReadOnlyList<int> threadIds)
    {
        double ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on
        long ticks = 0;
        foreach (int tid in threadIds)
        {
            var stat = File.ReadAllText($"/proc/self/task/{tid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Fields after the command name (in parentheses, which may hold spaces): state is field 3,
            // utime 14 and stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        return ticks / ticksPerSecond;
    }
}
