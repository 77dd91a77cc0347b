using System.Net;
using System.Net.Sockets;

namespace Isolated.Net.Samples.NUnit;

/// <summary>
/// The code under test: a line-echo TCP server. It knows nothing of namespaces; it is handed a socket
/// that listens inside one, and serves from the thread pool.
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public EchoServer(Socket listener)
    {
        _listener = listener;
        _serving = Task.Run(ServeAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _serving;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var connection = await _listener.AcceptAsync(_stop.Token);
            _ = EchoAsync(connection);
        }
    }

    private async Task EchoAsync(Socket connection)
    {
        using (connection)
        await using (var stream = new NetworkStream(connection))
        using (var reader = new StreamReader(stream))
        await using (var writer = new StreamWriter(stream) { AutoFlush = true })
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                await writer.WriteLineAsync($"echo from {connection.LocalEndPoint}: {line}");
            }
        }
    }
}
