using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net.DependencyInjection.Tests;

// A keep-alive HTTP/1.1 responder on a socket inside a host: answers every request with
// "hello <caller's address>", and notices when a client closes its connection.
internal sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _connections = [];
    private readonly TaskCompletionSource _clientClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;

    public TinyHttpServer(NetHost host, int port)
    {
        _listener = host.Listen(new IPEndPoint(IPAddress.IPv6Any, port));
        _accepting = AcceptAsync();
    }

    // Completes when a client closes a connection it had open (EOF on the server's side).
    public Task ClientClosed => _clientClosed.Task;

    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _accepting;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_connections)
            {
                _connections.Add(connection);
            }
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        var caller = ((IPEndPoint)connection.RemoteEndPoint!).Address;
        if (caller.IsIPv4MappedToIPv6)
        {
            caller = caller.MapToIPv4();
        }
        var buffer = new byte[4096];
        var pending = new StringBuilder();
        try
        {
            while (true)
            {
                int read = await connection.ReceiveAsync(buffer);
                if (read == 0)
                {
                    _clientClosed.TrySetResult();
                    return;
                }
                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                string text = pending.ToString();
                int end;
                while ((end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    text = text[(end + 4)..];
                    var body = Encoding.UTF8.GetBytes("hello " + caller);
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n");
                    await connection.SendAsync(head);
                    await connection.SendAsync(body);
                }
                pending.Clear().Append(text);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _clientClosed.TrySetResult();
        }
    }
}
