using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Isolated.Net;

// (h) Precision of the userspace impaired link: UDP pings one at a time over a link delaying 10 ms each
// way. The forwarder reports how late it sent each delayed frame after its deadline (its own lateness);
// the RTT error is what a user sees: round trip minus the 20 ms asked, both directions and the echo
// together. The pinger and the echo run at real-time priority like the forwarder (when allowed), so the
// figures are the link's, not the benchmark's threads'.
internal static class ImpairedLinkPrecision
{
    public sealed record Result(ImpairmentLateness? AtoB, ImpairmentLateness? BtoA, IReadOnlyList<double> RttErrorsMicroseconds, bool RealTime)
    {
        // Both directions' lateness, pooled: the percentile of the pooled frames lies between the two.
        public double LatenessMedianMicroseconds => Math.Max(AtoB?.Median.TotalMicroseconds ?? 0, BtoA?.Median.TotalMicroseconds ?? 0);

        public double LatenessP99Microseconds => Math.Max(AtoB?.P99.TotalMicroseconds ?? 0, BtoA?.P99.TotalMicroseconds ?? 0);

        public double LatenessMaxMicroseconds => Math.Max(AtoB?.Max.TotalMicroseconds ?? 0, BtoA?.Max.TotalMicroseconds ?? 0);
    }

    public static Result Measure(int pings) => Measure(pings, TimeSpan.FromMilliseconds(10), impaired: true);

    public static Result Measure(int pings, TimeSpan delay, bool impaired, TimeSpan gap = default)
    {
        var builder = new TopologyBuilder().AddHost("a").AddHost("b");
        using var net = (impaired ? builder.ImpairedLink("a", "b", o => o.Both(i => i.Delay = delay)) : builder.Link("a", "b")).Build();
        var forwarder = impaired ? net.GetLink("a", "b").Forwarder : null;
        using var echo = net["b"].CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Any, 9100));
        var echoThread = StartRealTime(() =>
        {
            var buffer = new byte[2048];
            EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    int n = echo.ReceiveFrom(buffer, ref remote);
                    echo.SendTo(buffer.AsSpan(0, n), remote);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
        using var pinger = net["a"].CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        pinger.ReceiveTimeout = 5000;
        var target = new IPEndPoint(net.AddressOf("b"), 9100);
        var errors = new List<double>(pings);
        double askedMicroseconds = 2 * delay.TotalMicroseconds;
        StartRealTime(() =>
        {
            var payload = new byte[64];
            var reply = new byte[2048];
            for (int i = 0; i <= pings; i++)
            {
                if (gap > TimeSpan.Zero)
                {
                    Thread.Sleep(gap);
                }
                long sent = Stopwatch.GetTimestamp();
                pinger.SendTo(payload, target);
                pinger.Receive(reply);
                if (i > 0) // the first waits for ARP
                {
                    errors.Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds - askedMicroseconds);
                }
            }
        }).Join();
        var result = forwarder is null ? new Result(null, null, errors, false) : new Result(forwarder.AtoB.Lateness, forwarder.BtoA.Lateness, errors, forwarder.IsRealTime);
        echo.Close();
        echoThread.Join();
        return result;
    }

    private static Thread StartRealTime(Action body)
    {
        var thread = new Thread(() =>
        {
            Isolated.Net.Interop.Interop.SetThreadRealtime(1);
            body();
        })
        { IsBackground = true, Name = "bench-precision" };
        thread.Start();
        return thread;
    }
}
