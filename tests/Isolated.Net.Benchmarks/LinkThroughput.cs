using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Isolated.Net;

// (g) Unimpaired TCP throughput of a userspace impaired link (TAP ends and the library's forwarder)
// beside a kernel veth link, measured with a bulk transfer from inside host a to host b.
internal static class LinkThroughput
{
    public static async Task<double> MeasureAsync(bool impaired, TimeSpan duration)
    {
        var builder = new TopologyBuilder().AddHost("a").AddHost("b");
        builder = impaired ? builder.ImpairedLink("a", "b") : builder.Link("a", "b");
        await using var net = builder.Build();
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 5001));
        using var sender = await net["a"].ConnectTcpAsync("b", 5001);
        using var receiver = await listener.AcceptAsync();
        long received = 0;
        var draining = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = await receiver.ReceiveAsync(buffer)) > 0)
            {
                received += n;
            }
        });
        var chunk = new byte[256 * 1024];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await sender.SendAsync(chunk);
        }
        sender.Shutdown(SocketShutdown.Send);
        await draining.WaitAsync(TimeSpan.FromSeconds(30));
        return received * 8 / clock.Elapsed.TotalSeconds;
    }
}
