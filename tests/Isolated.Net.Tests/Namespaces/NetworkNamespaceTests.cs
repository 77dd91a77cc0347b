using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Namespaces;

public sealed class NetworkNamespaceTests
{
    private static readonly ulong RootInode = Oracle.InodeOf("/proc/self/ns/net");

    [PrivilegedFact]
    public void Each_namespace_has_its_own_inode_distinct_from_root()
    {
        using var a = NetworkNamespace.Create();
        using var b = NetworkNamespace.Create();

        var insideA = a.Run(Oracle.CurrentThreadNamespaceInode);
        var insideB = b.Run(Oracle.CurrentThreadNamespaceInode);

        Assert.Equal(a.Inode, insideA);
        Assert.Equal(b.Inode, insideB);
        Assert.NotEqual(RootInode, insideA);
        Assert.NotEqual(RootInode, insideB);
        Assert.NotEqual(insideA, insideB);
        Assert.Equal(insideA, Oracle.InodeOf(a.ProcPath));
        Assert.NotNull(a.Cookie);
        Assert.NotEqual(a.Cookie, b.Cookie);
    }

    [PrivilegedFact]
    public void Loopback_is_up_inside_a_new_namespace()
    {
        using var ns = NetworkNamespace.Create();
        var links = Oracle.IpJson(ns, "link", "show");
        var lo = Assert.Single(links.EnumerateArray());
        Assert.Equal("lo", lo.GetProperty("ifname").GetString());
        Assert.Contains("UP", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [PrivilegedFact]
    public void Loopback_listener_inside_is_reachable_inside_and_refused_from_root()
    {
        using var ns = NetworkNamespace.Create();
        using var listener = ns.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        ns.Run(() =>
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, port);
            using var accepted = listener.Accept();
            client.Send("ping"u8);
            var buffer = new byte[4];
            Assert.Equal(4, accepted.Receive(buffer));
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
        });

        using var fromRoot = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var error = Assert.Throws<SocketException>(() => fromRoot.Connect(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [PrivilegedFact]
    public async Task Async_body_stays_inside_across_delay_yield_and_socket_io()
    {
        using var ns = NetworkNamespace.Create();
        var seen = await ns.RunAsync(async () =>
        {
            var inodes = new List<ulong> { Oracle.CurrentThreadNamespaceInode() };
            await Task.Delay(20);
            inodes.Add(Oracle.CurrentThreadNamespaceInode());
            await Task.Yield();
            inodes.Add(Oracle.CurrentThreadNamespaceInode());

            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accept = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint!);
            using var server = await accept;
            inodes.Add(Oracle.CurrentThreadNamespaceInode());
            await client.SendAsync("x"u8.ToArray());
            var buffer = new byte[1];
            await server.ReceiveAsync(buffer);
            inodes.Add(Oracle.CurrentThreadNamespaceInode());
            return inodes;
        });

        Assert.Equal(5, seen.Count);
        Assert.All(seen, inode => Assert.Equal(ns.Inode, inode));
    }

    [PrivilegedFact]
    public async Task ConfigureAwait_false_leaves_the_namespace_but_bound_sockets_still_connect_inside()
    {
        using var ns = NetworkNamespace.Create();
        using var listener = ns.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var (before, after, connected) = await ns.RunAsync(async () =>
        {
            var before = Oracle.CurrentThreadNamespaceInode();
#pragma warning disable ISONET003 // the escape under test: the body proves where ConfigureAwait(false) continues
            await Task.Delay(10).ConfigureAwait(false);
            // Now on a thread-pool thread in the root namespace: a plain socket would be made there.
            var after = Oracle.CurrentThreadNamespaceInode();
            using var socket = ns.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
#pragma warning restore ISONET003
            return (before, after, socket.Connected);
        });

        Assert.Equal(ns.Inode, before);
        Assert.Equal(RootInode, after);
        Assert.True(connected);
        using var accepted = listener.Accept();
    }

    [PrivilegedFact]
    public async Task CreateHttpClient_reaches_a_server_inside_and_a_root_client_cannot()
    {
        using var ns = NetworkNamespace.Create();
        using var listener = ns.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var server = ServeHttpAsync(listener, "hello from inside", cts.Token);

        using (var client = ns.CreateHttpClient())
        {
            // Called from the test thread (root namespace): the handler still opens its socket inside.
            var body = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"), cts.Token);
            Assert.Equal("hello from inside", body);
        }

        using (var plain = new HttpClient())
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"), cts.Token));
            Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        }
        await cts.CancelAsync();
        await server;
    }

    [PrivilegedFact]
    public void A_process_started_inside_Run_lives_in_the_namespace()
    {
        using var ns = NetworkNamespace.Create();
        using var child = ns.Run(() => Process.Start(new ProcessStartInfo("sleep", "5") { UseShellExecute = false })!);
        try
        {
            Assert.Equal(ns.Inode, Oracle.InodeOf($"/proc/{child.Id}/ns/net"));
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [PrivilegedFact]
    public void Named_namespace_is_listed_by_ip_netns_and_gone_after_dispose()
    {
        var name = "isonet-test-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6];
        var ns = NetworkNamespace.Create(name);
        try
        {
            var listed = Oracle.Exec("ip", "netns", "list").Stdout;
            Assert.Contains(name, listed, StringComparison.Ordinal);
            var inside = Oracle.Exec("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net").Stdout.Trim();
            Assert.Equal($"net:[{ns.Inode}]", inside);
        }
        finally
        {
            ns.Dispose();
        }
        Assert.DoesNotContain(name, Oracle.Exec("ip", "netns", "list").Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine("/run/netns", name)));
    }

    [PrivilegedFact]
    public void Creating_an_existing_name_fails_with_NameInUseException()
    {
        var name = "isonet-dup-" + Environment.ProcessId;
        using var first = NetworkNamespace.Create(name);
        var error = Assert.Throws<NameInUseException>(() => NetworkNamespace.Create(name));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains("EEXIST", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Open_by_name_path_and_pid_enters_the_same_namespace_without_owning_it()
    {
        var name = "isonet-open-" + Environment.ProcessId;
        using var owner = NetworkNamespace.Create(name);
        using (var byName = NetworkNamespace.Open(name))
        using (var byPath = NetworkNamespace.Open(owner.ProcPath))
        {
            Assert.False(byName.IsOwned);
            Assert.Equal(owner.Inode, byName.Run(Oracle.CurrentThreadNamespaceInode));
            Assert.Equal(owner.Inode, byPath.Run(Oracle.CurrentThreadNamespaceInode));
        }
        // Disposing the opened handles left the named namespace in place.
        Assert.True(File.Exists(Path.Combine("/run/netns", name)));

        using var child = owner.Run(() => Process.Start(new ProcessStartInfo("sleep", "5") { UseShellExecute = false })!);
        try
        {
            using var byPid = NetworkNamespace.OpenProcess(child.Id);
            Assert.Equal(owner.Inode, byPid.Inode);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [Fact]
    public void Bad_names_are_rejected_before_the_kernel_is_touched()
    {
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Create("a/b"));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Create(".."));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Create(""));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Create(new string('x', 256)));
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkNamespace.OpenProcess(0));
    }

    [PrivilegedFact]
    public void Opening_a_missing_name_names_the_operation_and_errno()
    {
        var error = Assert.Throws<NetworkOperationException>(() => NetworkNamespace.Open("isonet-does-not-exist"));
        Assert.Equal("ENOENT", error.ErrnoName);
        Assert.Contains("opening network namespace 'isonet-does-not-exist' failed: ENOENT", error.Message, StringComparison.Ordinal);
    }

    private static async Task ServeHttpAsync(Socket listener, string body, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var connection = await listener.AcceptAsync(cancellationToken);
                var buffer = new byte[4096];
                int read = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int n = await connection.ReceiveAsync(buffer.AsMemory(read), cancellationToken);
                    if (n == 0)
                    {
                        break;
                    }
                    read += n;
                }
                var payload = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
                await connection.SendAsync(head, cancellationToken);
                await connection.SendAsync(payload, cancellationToken);
                connection.Shutdown(SocketShutdown.Both);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
