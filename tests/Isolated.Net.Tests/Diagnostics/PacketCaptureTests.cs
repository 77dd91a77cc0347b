using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Testing;
using Xunit;
using Flags = Isolated.Net.Tests.Diagnostics.PcapRecord.TcpFlags;

namespace Isolated.Net.Tests.Diagnostics;

public sealed class PacketCaptureTests : IDisposable
{
    private const int Port = 7000;
    private readonly string _directory = Directory.CreateTempSubdirectory("isolated-net-capture-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [PrivilegedFact(Tools = "tshark")]
    public async Task A_captured_TCP_exchange_reads_back_as_a_handshake_between_the_right_addresses()
    {
        await using var net = new TopologyBuilder().AddHost("client").AddHost("server").Link("client", "server").Build();
        var client = net.AddressOf("client", AddressFamily.InterNetwork);
        var server = net.AddressOf("server", AddressFamily.InterNetwork);
        var path = Path.Combine(_directory, "link.pcap");

        var capture = net.GetLink("client", "server").StartCapture(path);
        await using (capture)
        {
            await ExchangeAsync(net, server);
        }

        // Our own reading of the headers.
        var pcap = PcapFile.Read(path);
        Assert.Equal((0xa1b2c3d4u, (ushort)2, (ushort)4, 262_144u, 1u), (pcap.Magic, pcap.VersionMajor, pcap.VersionMinor, pcap.SnapLength, pcap.LinkType));
        Assert.Equal(capture.PacketCount, pcap.Records.Count);
        Assert.All(pcap.Records, r => Assert.Equal(r.OriginalLength, r.Data.Length));
        var tcp = pcap.Records.Select(r => r.Tcp4()).OfType<(IPEndPoint Source, IPEndPoint Destination, Flags Flags)>().ToList();
        var syn = tcp.FindIndex(p => p.Flags == Flags.Syn);
        Assert.True(syn >= 0, "no SYN in the capture");
        Assert.Equal(client, tcp[syn].Source.Address);
        Assert.Equal(new IPEndPoint(server, Port), tcp[syn].Destination);
        var clientEnd = tcp[syn].Source;
        Assert.Equal((new IPEndPoint(server, Port), clientEnd, Flags.Syn | Flags.Ack), tcp[syn + 1]);
        Assert.Equal((clientEnd, new IPEndPoint(server, Port), Flags.Ack), tcp[syn + 2]);
        Assert.Contains(tcp, p => p.Flags.HasFlag(Flags.Fin));
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.All(pcap.Records, r => Assert.InRange(r.Seconds, seconds - 120, seconds + 1));

        // tshark's reading of the same file.
        var (code, stdout, stderr) = Oracle.Exec("tshark", "-r", path, "-Y", "tcp", "-T", "fields",
            "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.str");
        Assert.True(code == 0, $"tshark -r failed ({code}): {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        var first = lines.FindIndex(f => f[4].Contains('S', StringComparison.Ordinal) && !f[4].Contains('A', StringComparison.Ordinal));
        Assert.True(first >= 0, "tshark shows no SYN:\n" + stdout);
        Assert.Equal([client.ToString(), server.ToString(), Invariant(clientEnd.Port), Invariant(Port)], lines[first][..4]);
        Assert.Equal([server.ToString(), client.ToString(), Invariant(Port), Invariant(clientEnd.Port)], lines[first + 1][..4]);
        Assert.Contains("S", lines[first + 1][4], StringComparison.Ordinal);
        Assert.Contains("A", lines[first + 1][4], StringComparison.Ordinal);
        Assert.Equal([client.ToString(), server.ToString()], lines[first + 2][..2]);
        Assert.Equal(tcp.Count, lines.Count);
    }

    [PrivilegedFact]
    public async Task A_host_capture_stops_at_its_packet_bound_and_discard_deletes_the_file()
    {
        await using var net = new TopologyBuilder().AddHost("client").AddHost("server").Link("client", "server").Build();
        var path = Path.Combine(_directory, "bounded.pcap");
        var capture = net["client"].StartCapture(path, new PacketCaptureOptions { MaxPackets = 3 });
        await ExchangeAsync(net, net.AddressOf("server", AddressFamily.InterNetwork));
        await capture.StopAsync();
        Assert.True(capture.LimitReached);
        Assert.Equal(3, capture.PacketCount);
        Assert.Equal(3, PcapFile.Read(path).Records.Count);

        var discarded = net["server"].StartCapture(Path.Combine(_directory, "discarded.pcap"));
        await discarded.DiscardAsync();
        Assert.False(File.Exists(discarded.Path));
    }

    [PrivilegedFact]
    public async Task Bad_arguments_are_refused_before_any_socket_opens()
    {
        await using var net = new TopologyBuilder().AddHost("a").Build();
        Assert.Throws<ArgumentOutOfRangeException>(() => net["a"].StartCapture(options: new PacketCaptureOptions { SnapLength = 10 }));
        Assert.Throws<ArgumentException>(() => net["a"].Namespace.StartCapture("bad/name"));
        var missing = Assert.ThrowsAny<NetworkOperationException>(() => net["a"].Namespace.StartCapture("eth9"));
        Assert.Equal("ENODEV", missing.ErrnoName);
    }

    private static string Invariant(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // One TCP connection: connect, send, echo, close.
    private static async Task ExchangeAsync(Isolated.Net.Topology net, IPAddress server)
    {
        using var listener = net["server"].Listen(new IPEndPoint(IPAddress.Any, Port));
        using (var socket = await net["client"].ConnectTcpAsync(server.ToString(), Port))
        using (var accepted = await listener.AcceptAsync())
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes("hello"));
            var buffer = new byte[5];
            Assert.Equal(5, await accepted.ReceiveAsync(buffer));
            await accepted.SendAsync(buffer);
            Assert.Equal(5, await socket.ReceiveAsync(buffer));
            socket.Shutdown(SocketShutdown.Both);
        }
        await Task.Delay(100); // let the FIN exchange cross the link
    }
}
