using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net.Samples.Xunit;

// Answers every HTTP request on a listening socket with a fixed text. Stands in for the server you test.
public sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TinyHttpServer(Socket listener, string reply)
    {
        _listener = listener;
        _loop = ServeAsync(reply);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }

    private async Task ServeAsync(string reply)
    {
        var body = Encoding.UTF8.GetBytes(reply);
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        while (!_stop.IsCancellationRequested)
        {
            using var connection = await _listener.AcceptAsync(_stop.Token);
            var buffer = new byte[4096];
            _ = await connection.ReceiveAsync(buffer, _stop.Token);
            await connection.SendAsync(head, _stop.Token);
            await connection.SendAsync(body, _stop.Token);
            connection.Shutdown(SocketShutdown.Both);
        }
    }
}
