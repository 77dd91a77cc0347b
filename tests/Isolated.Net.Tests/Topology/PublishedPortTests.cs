using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Testing;
using Isolated.Net.Tests.Faults;
using Xunit;

namespace Isolated.Net.Tests.Topology;

// Clients here run in the test process's own (root) namespace and connect only to 127.0.0.1 endpoints of
// published ports, never to a topology address.
public sealed class PublishedPortTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [PrivilegedFact]
    public async Task A_plain_HttpClient_in_the_root_namespace_gets_the_answer_of_a_server_inside_the_host()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.IPv6Any, 80));
        var server = ServeHttpAsync(listener, requests: 3);
        using var published = net.Publish("web", 80);

        Assert.Equal(IPAddress.Loopback, published.EndPoint.Address);
        Assert.Equal(new Uri($"http://127.0.0.1:{published.EndPoint.Port}/"), published.GetUri());
        Assert.Equal(("web", 80, ProtocolType.Tcp), (published.Host, published.Port, published.Protocol));
        using var http = new HttpClient();
        for (int i = 0; i < 3; i++)
        {
            var body = await http.GetStringAsync(new Uri(published.GetUri(), "hello")).WaitAsync(Timeout);
            // The connection arrived inside web, from web's own address: the proxy connects from inside.
            Assert.Equal("GET /hello from " + net.AddressOf("web"), body);
        }
        await server.WaitAsync(Timeout);
    }

    [PrivilegedFact(Tools = "python3")]
    public async Task A_real_server_program_inside_the_host_answers_a_plain_HttpClient()
    {
        await using var net = Lan();
        await using var web = net["web"].StartProcess("python3", "-m", "http.server", "80", "--bind", net.AddressOf("web").ToString());
        await web.WaitForTcpPortAsync(80, Timeout);
        using var published = net.Publish("web", 80);

        using var http = new HttpClient { BaseAddress = published.GetUri() };
        using var response = await http.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Directory listing", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await web.WaitForOutputAsync("\"GET / HTTP/1.1\" 200", Timeout);   // python's access log, inside web
    }

    [PrivilegedFact]
    public async Task Publish_called_on_a_namespace_thread_listens_in_the_process_namespace_and_leaves_no_stray_thread()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var server = EchoAsync(listener, connections: 20);
        // Inside "other": were the listener made on this thread, it would be in other's namespace and
        // unreachable from here.
        var published = await net["other"].RunAsync(() => Task.FromResult(net.Publish("web", 7000)));
        using (published)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                Assert.Equal("echo " + i, await RoundTripAsync(published.EndPoint, "echo " + i));
            })).WaitAsync(Timeout);
            await server.WaitAsync(Timeout);
        }
        Assert.Empty(NamespaceLeakDetector.FindStrayThreads());
    }

    [PrivilegedTheory]
    [InlineData("topology address")]
    [InlineData("loopback")]
    public async Task A_server_bound_to_one_address_inside_the_host_is_reached(string boundTo)
    {
        await using var net = Lan();
        var address = boundTo == "loopback" ? IPAddress.Loopback : net.AddressOf("web");
        using var listener = net["web"].Listen(new IPEndPoint(address, 7000));
        var server = EchoAsync(listener, connections: 2);
        using var published = net.Publish("web", 7000);

        Assert.Equal("first", await RoundTripAsync(published.EndPoint, "first").WaitAsync(Timeout));
        Assert.Equal("second", await RoundTripAsync(published.EndPoint, "second").WaitAsync(Timeout));
        await server.WaitAsync(Timeout);
    }

    [PrivilegedFact]
    public async Task A_half_close_reaches_the_server_which_still_answers()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var server = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync();
            var request = await ReadToEndAsync(accepted);           // returns only on the client's FIN
            await accepted.SendAsync(Encoding.UTF8.GetBytes("got " + request));
            accepted.Shutdown(SocketShutdown.Send);
        });
        using var published = net.Publish("web", 7000);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(published.EndPoint).WaitAsync(Timeout);
        await client.SendAsync(Encoding.UTF8.GetBytes("ping"));
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("got ping", await ReadToEndAsync(client).WaitAsync(Timeout));
        await server.WaitAsync(Timeout);
    }

    [PrivilegedFact]
    public async Task A_reset_by_the_server_reaches_the_client_as_a_reset()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var server = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync();
            var buffer = new byte[16];
            _ = await accepted.ReceiveAsync(buffer);
            accepted.LingerState = new LingerOption(true, 0);       // close() now sends RST
        });
        using var published = net.Publish("web", 7000);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(published.EndPoint).WaitAsync(Timeout);
        await client.SendAsync(Encoding.UTF8.GetBytes("x"));
        await server.WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(client).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [PrivilegedFact]
    public async Task A_reset_by_the_client_reaches_the_server_as_a_reset()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var accepting = listener.AcceptAsync();
        using var published = net.Publish("web", 7000);

        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(published.EndPoint).WaitAsync(Timeout);
        using var accepted = await accepting.WaitAsync(Timeout);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        var error = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(accepted).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [PrivilegedFact]
    public async Task Nothing_listening_inside_the_host_resets_the_client()
    {
        await using var net = Lan();
        using var published = net.Publish("web", 7000);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(published.EndPoint).WaitAsync(Timeout);     // the proxy accepts first
        var error = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(client).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [PrivilegedFact]
    public async Task The_proxy_sockets_inside_the_host_carry_the_firewall_mark()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var accepting = listener.AcceptAsync();
        using var published = net.Publish("web", 7000);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(published.EndPoint).WaitAsync(Timeout);
        using var accepted = await accepting.WaitAsync(Timeout);

        // ss -e prints a socket's SO_MARK as fwmark:0x...; the proxy's socket is the one connected to :7000.
        var (code, stdout, stderr) = Oracle.Exec("nsenter", "--net=" + net["web"].Namespace.ProcPath, "ss", "-tne", "state", "established", "dport", "= :7000");
        Assert.True(code == 0, stderr);
        Assert.Contains("fwmark:0x" + PublishedPort.Mark.ToString("x", CultureInfo.InvariantCulture), stdout, StringComparison.Ordinal);
        Assert.Equal(PublishedPort.Mark, Isolated.Net.Faults.TopologyFaults.PublishedPortMark);   // the mark the firewall drops
    }

    // Cut by the firewall's mark rule: the proxy's connection into the host runs over the host's loopback,
    // where the BPF fallback on its interfaces would not see it.
    [KernelFeatureFact(nameof(KernelFeatures.Nftables))]
    public async Task An_isolated_host_gets_no_published_port_traffic_until_healed()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var server = EchoAsync(listener, connections: 2);
        using var published = net.Publish("web", 7000);
        Assert.Equal("before", await RoundTripAsync(published.EndPoint, "before").WaitAsync(Timeout));

        net.Isolate("web");
        // The proxy accepts on loopback, but its connection into web is dropped: no answer (drop = silence).
        var cut = RoundTripAsync(published.EndPoint, "cut");
        await Assert.ThrowsAsync<TimeoutException>(() => cut.WaitAsync(TimeSpan.FromSeconds(2)));

        net.Heal();
        // The stalled connection's SYN is retransmitted and gets through, as after any healed partition.
        Assert.Equal("cut", await cut.WaitAsync(Timeout));
        await server.WaitAsync(Timeout);
    }

    [PrivilegedFact]
    public async Task After_dispose_the_endpoint_refuses_and_open_connections_are_reset()
    {
        await using var net = Lan();
        using var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var accepting = listener.AcceptAsync();
        var published = net.Publish("web", 7000);
        using var open = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await open.ConnectAsync(published.EndPoint).WaitAsync(Timeout);
        using var accepted = await accepting.WaitAsync(Timeout);

        published.Dispose();
        published.Dispose();

        Assert.Empty(net.PublishedPorts);
        Assert.Equal(0, published.ActiveConnections);
        var refused = await Assert.ThrowsAsync<SocketException>(() => RoundTripAsync(published.EndPoint, "late"));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        var reset = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(open).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        var serverSide = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(accepted).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, serverSide.SocketErrorCode);
    }

    [PrivilegedFact]
    public async Task Disposing_the_topology_closes_its_published_ports()
    {
        var net = Lan();
        PublishedPort published;
        using (var listener = net["web"].Listen(new IPEndPoint(IPAddress.Any, 7000)))
        {
            var server = EchoAsync(listener, connections: 1);
            published = net.Publish("web", 7000);
            Assert.Same(published, Assert.Single(net.PublishedPorts));
            Assert.Equal("before", await RoundTripAsync(published.EndPoint, "before").WaitAsync(Timeout));
            await server.WaitAsync(Timeout);
        }

        await net.DisposeAsync();

        var refused = await Assert.ThrowsAsync<SocketException>(() => RoundTripAsync(published.EndPoint, "after"));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => net.Publish("web", 7000));
    }

    [PrivilegedFact]
    public void A_fixed_local_port_is_used_and_a_taken_one_is_refused()
    {
        using var net = Lan();
        int free;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            free = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var published = net.Publish("web", 7000, localPort: free);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, free), published.EndPoint);
        var taken = Assert.Throws<SocketException>(() => net.Publish("other", 7000, localPort: free));
        Assert.Equal(SocketError.AddressAlreadyInUse, taken.SocketErrorCode);
        Assert.Single(net.PublishedPorts);
    }

    [PrivilegedFact]
    public async Task UDP_datagrams_reach_the_host_and_replies_come_back_to_each_client()
    {
        await using var net = Lan();
        using var receiver = net["web"].CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Any, 5353));
        var server = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            for (int i = 0; i < 4; i++)
            {
                var got = await receiver.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                var reply = "re " + Encoding.UTF8.GetString(buffer, 0, got.ReceivedBytes) + " from " + ((IPEndPoint)got.RemoteEndPoint).Address;
                await receiver.SendToAsync(Encoding.UTF8.GetBytes(reply), got.RemoteEndPoint);
            }
        });
        using var published = net.Publish("web", 5353, ProtocolType.Udp);
        Assert.Equal(ProtocolType.Udp, published.Protocol);

        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Connect(published.EndPoint);
        b.Connect(published.EndPoint);
        foreach (var (socket, text) in new[] { (a, "a1"), (b, "b1"), (a, "a2"), (b, "b2") })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text));
            var buffer = new byte[1024];
            int read = await socket.ReceiveAsync(buffer).WaitAsync(Timeout);
            Assert.Equal("re " + text + " from " + net.AddressOf("web"), Encoding.UTF8.GetString(buffer, 0, read));
        }
        Assert.Equal(2, published.ActiveConnections);
        await server.WaitAsync(Timeout);
    }

    [PrivilegedFact]
    public async Task Publish_validates_before_it_touches_anything()
    {
        var net = Lan();
        await using (net)
        {
            var unknown = Assert.Throws<KeyNotFoundException>(() => net.Publish("db", 5432));
            Assert.Contains("'db'", unknown.Message, StringComparison.Ordinal);
            Assert.Contains("'web'", unknown.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => net.Publish("web", 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => net.Publish("web", 65536));
            Assert.Throws<ArgumentOutOfRangeException>(() => net.Publish("web", 80, localPort: -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => net.Publish("web", 80, localPort: 65536));
            Assert.Throws<ArgumentOutOfRangeException>(() => net.Publish("web", 80, ProtocolType.Icmp));
            Assert.Throws<ArgumentException>(() => net.Publish("", 80));
            Assert.Empty(net.PublishedPorts);
        }
        Assert.Throws<ObjectDisposedException>(() => net.Publish("web", 80));
    }

    private static global::Isolated.Net.Topology Lan() => new TopologyBuilder()
        .AddSwitch("lan")
        .AddHost("web").Connect("web", "lan")
        .AddHost("other").Connect("other", "lan")
        .Build();

    // A minimal HTTP/1.1 server: answers "GET /path from <peer address>" and closes each connection.
    private static Task ServeHttpAsync(Socket listener, int requests) => Task.Run(async () =>
    {
        for (int i = 0; i < requests; i++)
        {
            using var accepted = await listener.AcceptAsync();
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await accepted.ReceiveAsync(buffer);
                if (read == 0)
                {
                    break;
                }
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            var requestLine = request.ToString().Split("\r\n")[0].Split(' ');
            var peer = ((IPEndPoint)accepted.RemoteEndPoint!).Address;
            var body = $"{requestLine[0]} {requestLine[1]} from {(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer)}";
            var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
            await accepted.SendAsync(Encoding.UTF8.GetBytes(response));
            accepted.Shutdown(SocketShutdown.Send);
        }
    });

    // Echoes each connection's bytes until its FIN, then closes it; serves that many connections concurrently.
    private static Task EchoAsync(Socket listener, int connections) => Task.Run(async () =>
    {
        var sessions = new List<Task>();
        for (int i = 0; i < connections; i++)
        {
            var accepted = await listener.AcceptAsync();
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
                    accepted.Shutdown(SocketShutdown.Send);
                }
            }));
        }
        await Task.WhenAll(sessions);
    });

    private static async Task<string> RoundTripAsync(IPEndPoint endpoint, string message)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endpoint);
        await client.SendAsync(Encoding.UTF8.GetBytes(message));
        client.Shutdown(SocketShutdown.Send);
        return await ReadToEndAsync(client);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return text.ToString();
    }
}
