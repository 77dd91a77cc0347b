using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

// ResetConnections against real connections between hosts the test made. Only failure bounds: passing
// runs take milliseconds.
public sealed class ResetConnectionsTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    private static Isolated.Net.Topology ThreeHosts() => new TopologyBuilder()
        .AddSwitch("lan")
        .AddHost("a").Connect("a", "lan")
        .AddHost("b").Connect("b", "lan")
        .AddHost("c").Connect("c", "lan")
        .Build();

    private static async Task<(Socket Client, Socket Server)> OpenAsync(NetHost from, Socket listener, IPAddress to, int port)
    {
        var client = await from.ConnectTcpAsync(to.ToString(), port).WaitAsync(Quick);
        var server = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("hello", await TransferAsync(client, server, "hello", Quick));
        return (client, server);
    }

    // The first receive after the reset: its error, or Success for an orderly end of stream (0 bytes).
    private static async Task<SocketError> NextReceiveAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Quick);
        try
        {
            int read = await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
            return read == 0 ? SocketError.Success : throw new InvalidOperationException($"received {read} bytes after the reset");
        }
        catch (SocketException error)
        {
            return error.SocketErrorCode;
        }
    }

    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Reset_kills_an_idle_connection_at_both_ends_now_and_spares_other_hosts(AddressFamily family)
    {
        await using var net = ThreeHosts();
        var any = family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        using var bListener = net["b"].Listen(new IPEndPoint(any, 7000));
        using var cListener = net["c"].Listen(new IPEndPoint(any, 7000));
        var (ab, ba) = await OpenAsync(net["a"], bListener, net.AddressOf("b", family), 7000);
        var (ac, ca) = await OpenAsync(net["a"], cListener, net.AddressOf("c", family), 7000);
        // Receives already waiting when the reset comes: neither end sends again, yet both wake with an error.
        var aReceive = NextReceiveAsync(ab);
        var bReceive = NextReceiveAsync(ba);

        int aborted = net.ResetConnections("a", "b");

        // a's socket is aborted in a (SOCK_DESTROY: ECONNABORTED). b's is aborted in b too, unless a's reset
        // (tcp_abort sends one) reached b first and closed it with ECONNRESET: which comes first is a race
        // between the veth's softirq and our second namespace, so b accepts both.
        Assert.Equal(SocketError.ConnectionAborted, await aReceive);
        Assert.Contains(await bReceive, new[] { SocketError.ConnectionAborted, SocketError.ConnectionReset });
        Assert.InRange(aborted, 1, 2);
        Assert.Throws<SocketException>(() => ab.Send("x"u8));

        // The connection to c is untouched, both ways; a new one to b works at once.
        Assert.Equal("still", await TransferAsync(ac, ca, "still", Quick));
        Assert.Equal("there", await TransferAsync(ca, ac, "there", Quick));
        var (fresh, freshServer) = await OpenAsync(net["a"], bListener, net.AddressOf("b", family), 7000);
        Assert.Equal("back", await TransferAsync(freshServer, fresh, "back", Quick));
        foreach (var socket in new[] { ab, ba, ac, ca, fresh, freshServer })
        {
            socket.Dispose();
        }
    }

    [PrivilegedFact]
    public async Task Reset_fails_both_ends_even_when_a_cut_stops_the_reset_between_them()
    {
        await using var net = ThreeHosts();
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var (ab, ba) = await OpenAsync(net["a"], listener, net.AddressOf("b"), 7000);
        net.Partition(["a"], ["b", "c"]);

        // No packet passes between them, so each end learns only from its own kernel.
        Assert.Equal(2, net.ResetConnections("a"));
        Assert.Equal(SocketError.ConnectionAborted, await NextReceiveAsync(ab));
        Assert.Equal(SocketError.ConnectionAborted, await NextReceiveAsync(ba));

        net.Heal();
        var (fresh, freshServer) = await OpenAsync(net["a"], listener, net.AddressOf("b"), 7000);
        foreach (var socket in new[] { ab, ba, fresh, freshServer })
        {
            socket.Dispose();
        }
    }

    [PrivilegedFact]
    public async Task Reset_checks_its_names_before_touching_anything()
    {
        await using var net = ThreeHosts();
        Assert.Throws<KeyNotFoundException>(() => net.ResetConnections("a", "nope"));
        Assert.Throws<KeyNotFoundException>(() => net.ResetConnections("nope"));
        Assert.Throws<ArgumentException>(() => net.ResetConnections("a", "a"));
        Assert.Equal(0, net.ResetConnections("a", "b")); // nothing open: nothing to reset
    }
}
