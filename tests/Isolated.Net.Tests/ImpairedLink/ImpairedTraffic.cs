using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace Isolated.Net.Tests.ImpairedLinks;

// Real traffic between two hosts of a topology, measured from inside their namespaces.
internal static class ImpairedTraffic
{
    public const int UdpPort = 9100;
    public const int TcpPort = 9200;

    // Sends COUNT numbered datagrams from one host to another and returns the sequence numbers in the
    // order they arrived. The sender keeps at most WINDOW datagrams ahead of what the forwarder has
    // read, so nothing is lost before the impairment (the TAP's queue holds 500 frames); the receiver
    // stops once nothing has arrived for a while after the last send.
    public static async Task<List<int>> SendNumberedDatagramsAsync(NetHost from, NetHost to, ImpairedDirection direction, int count, int size = 64, int window = 32)
    {
        IntroduceReceiver(from, to);
        using var receiver = to.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.ReceiveBufferSize = 4 * 1024 * 1024;
        receiver.Bind(new IPEndPoint(IPAddress.Any, UdpPort));
        // Quiet for this long after the last send means nothing more is coming: a second beyond the
        // longest a frame can be held (delay, jitter, reorder timeout), so a busy machine cannot cut it short.
        var held = direction.Settings;
        receiver.ReceiveTimeout = (int)(TimeSpan.FromSeconds(1) + held.Delay + held.Jitter + held.Jitter + held.ReorderTimeout).TotalMilliseconds;
        using var sender = from.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(to.PrimaryIPv4!, UdpPort);
        var sent = new TaskCompletionSource();
        var arrived = new List<int>(count + count / 4);
        var receiving = Task.Factory.StartNew(() =>
        {
            var buffer = new byte[65536];
            while (true)
            {
                try
                {
                    int n = receiver.Receive(buffer);
                    arrived.Add(BinaryPrimitives.ReadInt32BigEndian(buffer));
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
                {
                    if (sent.Task.IsCompleted)
                    {
                        return;
                    }
                }
            }
        }, TaskCreationOptions.LongRunning);

        await Task.Run(() =>
        {
            var payload = new byte[size];
            long start = direction.Counters.Received;
            var deadline = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                sender.SendTo(payload, target);
                while (i + 1 - (direction.Counters.Received - start) > window)
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                    {
                        throw new TimeoutException($"The forwarder read only {direction.Counters.Received - start} of {i + 1} datagrams.");
                    }
                    Thread.Yield();
                }
            }
        });
        sent.SetResult();
        await receiving.WaitAsync(TimeSpan.FromSeconds(60));
        return arrived;
    }

    // The receiver greets the sender first: its ARP request teaches the sender its MAC address, so the
    // sender's first datagram does not wait for ARP — a datagram waiting for ARP can be overtaken by
    // the next one inside the sender's kernel, before the link sees either. Only link-control frames
    // (exempt from random decisions) and one datagram the other way cross, so the sender's direction
    // draws nothing.
    private static void IntroduceReceiver(NetHost sender, NetHost receiver)
    {
        using var greeted = sender.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        greeted.Bind(new IPEndPoint(IPAddress.Any, UdpPort + 1));
        greeted.ReceiveTimeout = 5000;
        using var greeter = receiver.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        greeter.SendTo(new byte[1], new IPEndPoint(sender.PrimaryIPv4!, UdpPort + 1));
        greeted.Receive(new byte[16]);
    }

    // A UDP echo on HOST: every datagram goes back to its sender. Dispose the result to stop it.
    public static IDisposable StartUdpEcho(NetHost host)
    {
        var socket = host.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, UdpPort));
        StartRealTimeThread(() =>
        {
            var buffer = new byte[65536];
            EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    int n = socket.ReceiveFrom(buffer, ref remote);
                    socket.SendTo(buffer.AsSpan(0, n), remote);
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });
        return socket;
    }

    // Round-trip times (ms) of COUNT UDP pings from FROM to a UDP echo on TO, one at a time.
    public static List<double> UdpPingMilliseconds(NetHost from, IPAddress to, int count, int size = 64)
    {
        using var socket = from.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveTimeout = 5000;
        var target = new IPEndPoint(to, UdpPort);
        return OnRealTimeThread(() =>
        {
            var payload = new byte[size];
            var reply = new byte[65536];
            var rtts = new List<double>(count);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                long started = Stopwatch.GetTimestamp();
                socket.SendTo(payload, target);
                int n = socket.Receive(reply);
                if (n != size || BinaryPrimitives.ReadInt32BigEndian(reply) != i)
                {
                    throw new InvalidOperationException($"Ping {i} came back as {n} bytes numbered {BinaryPrimitives.ReadInt32BigEndian(reply)}.");
                }
                rtts.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return rtts;
        });
    }

    // True when one UDP ping from FROM to a UDP echo on TO comes back within TIMEOUT.
    public static bool PingAnswers(NetHost from, IPAddress to, TimeSpan timeout)
    {
        using var socket = from.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.SendTo(new byte[8], new IPEndPoint(to, UdpPort));
            socket.Receive(new byte[64]);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.NetworkUnreachable)
        {
            return false; // no answer, or no route while the interface is down
        }
    }

    // A TCP echo on TO for one connection; the connect time and the round-trip times (ms) of COUNT
    // small messages from FROM, one at a time.
    public static async Task<(double Connect, List<double> Rtts)> TcpEchoMillisecondsAsync(NetHost from, NetHost to, int count)
    {
        using var listener = to.Listen(new IPEndPoint(IPAddress.Any, TcpPort));
        var server = StartRealTimeThread(() =>
        {
            using var connection = listener.Accept();
            var buffer = new byte[1024];
            int n;
            while ((n = connection.Receive(buffer)) > 0)
            {
                connection.Send(buffer.AsSpan(0, n));
            }
        });
        long started = Stopwatch.GetTimestamp();
        using var client = await from.ConnectTcpAsync(to.Name, TcpPort);
        double connect = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var rtts = OnRealTimeThread(() =>
        {
            var message = new byte[16];
            var reply = new byte[16];
            var times = new List<double>(count);
            for (int i = 0; i < count; i++)
            {
                long sent = Stopwatch.GetTimestamp();
                client.Send(message);
                int got = 0;
                while (got < message.Length)
                {
                    got += client.Receive(reply.AsSpan(got));
                }
                times.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
            return times;
        });
        client.Shutdown(SocketShutdown.Send);
        server.Join(); // its socket is closed before the test ends
        return (connect, rtts);
    }

    // The measuring threads run at real-time priority like the forwarder's (when allowed), so on a
    // busy machine the scheduler's delays do not pass for the link's.
    public static T OnRealTimeThread<T>(Func<T> body)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = StartRealTimeThread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        });
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static Thread StartRealTimeThread(Action body)
    {
        var thread = new Thread(() =>
        {
            Isolated.Net.Interop.Interop.SetThreadRealtime(1);
            body();
        })
        { IsBackground = true, Name = "impair-test" };
        thread.Start();
        return thread;
    }

    // Sends BYTES of seeded pseudo-random data over TCP from FROM to TO; returns a hash of what was sent,
    // a hash of what arrived, and the rate (bits per second, for the output only).
    public static async Task<(string Sent, string Received, double BitsPerSecond)> TcpTransferAsync(NetHost from, NetHost to, int bytes)
    {
        using var listener = to.Listen(new IPEndPoint(IPAddress.Any, TcpPort + 1));
        using var client = await from.ConnectTcpAsync(to.Name, TcpPort + 1);
        using var server = await listener.AcceptAsync();
        var reading = Task.Run(async () =>
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = await server.ReceiveAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }
            return Convert.ToHexString(hash.GetHashAndReset());
        });
        using var sentHash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var random = new Random(7);
        var data = new byte[256 * 1024];
        var clock = Stopwatch.StartNew();
        for (int left = bytes; left > 0; left -= data.Length)
        {
            var chunk = data.AsMemory(0, Math.Min(left, data.Length));
            random.NextBytes(chunk.Span);
            sentHash.AppendData(chunk.Span);
            await client.SendAsync(chunk);
        }
        client.Shutdown(SocketShutdown.Send);
        string received = await reading.WaitAsync(TimeSpan.FromSeconds(120));
        return (Convert.ToHexString(sentHash.GetHashAndReset()), received, bytes * 8.0 / clock.Elapsed.TotalSeconds);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static double InterquartileRange(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        double Quantile(double q)
        {
            double position = q * (sorted.Count - 1);
            int below = (int)Math.Floor(position);
            return sorted[below] + ((position - below) * (sorted[Math.Min(below + 1, sorted.Count - 1)] - sorted[below]));
        }
        return Quantile(0.75) - Quantile(0.25);
    }

    public static double StandardDeviation(IReadOnlyCollection<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
