using System.Net;
using System.Net.Sockets;
using Isolated.Net;

namespace Isolated.Net.Benchmarks;

// (i) What a published port adds to a request: TCP request/response round trips (64 bytes each way, one
// kept-alive connection) from the test process's own namespace through Topology.Publish, against the same
// round trips over a socket made inside the server's host and connected to the host's own address — the
// path the proxy's inner leg takes — so the difference is the proxy: an accept-side socket, two copies
// through this process, and the thread-pool hops between them. Rounds alternate so both see the same machine.
internal static class PublishedPortOverhead
{
    private const int MessageSize = 64;
    private const int Round = 100;

    public static async Task<(Samples Published, Samples Direct)> MeasureAsync(int roundTrips)
    {
        await using var net = new TopologyBuilder()
            .AddSwitch("lan")
            .AddHost("web").Connect("web", "lan")
            .Build();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        using var stop = new CancellationTokenSource();
        var server = EchoAsync(listener, stop.Token);
        using var published = net.Publish("web", 7000);

        using var throughProxy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        throughProxy.Connect(published.EndPoint);
        using var direct = net["web"].CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        direct.NoDelay = true;
        direct.Connect(new IPEndPoint(net.AddressOf("web"), 7000));

        var publishedSamples = new Samples("(i) TCP round trip through a published port");
        var directSamples = new Samples("(i) TCP round trip from inside the host");
        var message = new byte[MessageSize];
        var reply = new byte[MessageSize];
        for (int i = 0; i < Round; i++)
        {
            RoundTrip(throughProxy, message, reply);
            RoundTrip(direct, message, reply);
        }
        for (int done = 0; done < roundTrips; done += Round)
        {
            int n = Math.Min(Round, roundTrips - done);
            Samples.MeasureInto(publishedSamples, 0, n, () => RoundTrip(throughProxy, message, reply));
            Samples.MeasureInto(directSamples, 0, n, () => RoundTrip(direct, message, reply));
        }
        throughProxy.Shutdown(SocketShutdown.Send);
        direct.Shutdown(SocketShutdown.Send);
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        return (publishedSamples, directSamples);
    }

    private static void RoundTrip(Socket socket, byte[] message, byte[] reply)
    {
        socket.Send(message);
        int got = 0;
        while (got < reply.Length)
        {
            int read = socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("The echo server closed the connection.");
            }
            got += read;
        }
    }

    private static async Task EchoAsync(Socket listener, CancellationToken stop)
    {
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var accepted = await listener.AcceptAsync(stop);
                accepted.NoDelay = true;
                sessions.Add(Task.Run(async () =>
                {
                    using (accepted)
                    {
                        var buffer = new byte[4096];
                        int read;
                        while ((read = await accepted.ReceiveAsync(buffer)) > 0)
                        {
                            await accepted.SendAsync(buffer.AsMemory(0, read));
                        }
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(sessions);
    }
}
