using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

// TCP: accept on the loopback listener, connect from inside the host, copy both ways.
public sealed partial class PublishedPort
{
    private const int RelayBufferSize = 64 * 1024;

    private readonly HashSet<TcpRelay> _relays = [];

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // ECONNABORTED (a client gave up in the backlog), EMFILE: the listener itself is fine.
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var relay = new TcpRelay(client);
        lock (_gate)
        {
            if (IsDisposed)
            {
                relay.Abort();
                return;
            }
            _relays.Add(relay);
        }
        try
        {
            client.NoDelay = true;
            var server = await ConnectInsideAsync().ConfigureAwait(false);
            if (server is null || !relay.Attach(server))
            {
                // Nothing listens on the port inside the host (or the port was closed meanwhile): refuse
                // the way the host would, with a reset.
                relay.Abort();
                return;
            }
            await relay.RunAsync().ConfigureAwait(false);
        }
        catch
        {
            // Nobody observes this task: never leave the client hanging on an unexpected failure.
            relay.Abort();
        }
        finally
        {
            lock (_gate)
            {
                _relays.Remove(relay);
            }
        }
    }

    // Tries the host's addresses, the one that answered last time first. Null when each refused.
    private async Task<Socket?> ConnectInsideAsync()
    {
        int first = Volatile.Read(ref _preferredTarget);
        for (int i = 0; i < _targets.Length; i++)
        {
            int index = (first + i) % _targets.Length;
            var address = _targets[index];
            Socket socket;
            try
            {
                socket = await CreateHostSocketAsync(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return null;
            }
            try
            {
                socket.NoDelay = true;
                await socket.ConnectAsync(new IPEndPoint(address, Port), _stopping.Token).ConfigureAwait(false);
                Volatile.Write(ref _preferredTarget, index);
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.NetworkUnreachable
                or SocketError.HostUnreachable or SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
            {
                socket.Dispose();
            }
            catch
            {
                // Cancelled by Dispose: the kernel may have connected already and the server accepted; a
                // plain close would give it a clean end of stream, where the client gets a reset.
                Reset(socket);
                return null;
            }
        }
        return null;
    }

    // An abortive close: RST, and no FIN before it.
    private static void Reset(Socket socket)
    {
        Interop.Interop.ResetConnection(socket);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    // One proxied connection: the client's socket in the caller's namespace, the server's inside the host.
    private sealed class TcpRelay(Socket client)
    {
        private readonly Lock _gate = new();
        private Socket? _server;
        private bool _aborted;

        // False when the relay was aborted (the port disposed) before the server side came.
        public bool Attach(Socket server)
        {
            lock (_gate)
            {
                if (_aborted)
                {
                    Reset(server);
                    return false;
                }
                _server = server;
                return true;
            }
        }

        public async Task RunAsync()
        {
            var server = _server!;
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client)).ConfigureAwait(false);
            lock (_gate)
            {
                if (_aborted)
                {
                    return;
                }
                _aborted = true;
            }
            // Both directions ended with FIN: close normally.
            client.Dispose();
            server.Dispose();
        }

        // Either side reset, a send failed, or the port is being disposed: reset both sides (RST, not FIN),
        // so the other end sees the failure rather than a clean end of stream.
        public void Abort()
        {
            Socket? server;
            lock (_gate)
            {
                if (_aborted)
                {
                    return;
                }
                _aborted = true;
                server = _server;
            }
            Reset(client);
            if (server is not null)
            {
                Reset(server);
            }
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(RelayBufferSize);
            try
            {
                while (true)
                {
                    int read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        // A receive cut short by Abort can end as an end of stream: that must not turn into
                        // a FIN ahead of the reset (a peer that saw the FIN first reads a clean end).
                        if (!Volatile.Read(ref _aborted))
                        {
                            // Half-close: the other side may still answer.
                            to.Shutdown(SocketShutdown.Send);
                        }
                        return;
                    }
                    int sent = 0;
                    while (sent < read)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Abort();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
