using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Isolated.Net.FluentAssertions;

// The real exchanges behind Reach/NotReach. Every socket is made inside a host's namespace
// (NetHost.CreateSocket), so the kernel of that namespace routes, resolves neighbours and answers.
internal static class ReachProbe
{
    private static readonly TimeSpan UdpResendInterval = TimeSpan.FromMilliseconds(100);

    // Without a family, the target is reached as programs reach it by name: its addresses in the
    // topology's order (Topology.AddressPreference); TCP falls back to the other family (NetHost.ConnectTcpAsync),
    // failures and UDP name the preferred address.
    public static Task<ProbeOutcome> RunAsync(NetHost source, NetHost target, int port, NetworkProbe probe)
    {
        var family = probe.AddressFamily;
        var targetAddress = family == AddressFamily.Unspecified
            ? source.Resolve(target.Name)
            : target.Topology.AddressOf(target.Name, family);
        var endpoint = new IPEndPoint(targetAddress, port);
        var sourceAddress = targetAddress.AddressFamily == AddressFamily.InterNetworkV6 ? source.PrimaryIPv6 : source.PrimaryIPv4;
        return probe.Protocol == ProbeProtocol.Tcp
            ? TcpAsync(source, family == AddressFamily.Unspecified ? target.Name : targetAddress.ToString(), endpoint, sourceAddress, probe.Timeout)
            : UdpAsync(source, target, endpoint, sourceAddress, probe.Timeout);
    }

    private static async Task<ProbeOutcome> TcpAsync(NetHost source, string targetName, IPEndPoint endpoint, IPAddress? sourceAddress, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var socket = await source.ConnectTcpAsync(targetName, endpoint.Port, deadline.Token).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var reached = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? endpoint.Address;
            return ProbeOutcome.Success(LocalAddress(socket) ?? sourceAddress, reached, "a TCP handshake completed", elapsed);
        }
        catch (SocketException ex)
        {
            return ProbeOutcome.Failure(sourceAddress, endpoint.Address, "the TCP connect", ex);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return ProbeOutcome.Timeout(sourceAddress, endpoint.Address, "TCP handshake", timeout, null);
        }
    }

    private static async Task<ProbeOutcome> UdpAsync(NetHost source, NetHost target, IPEndPoint endpoint, IPAddress? sourceAddress, TimeSpan timeout)
    {
        using var receiver = target.CreateSocket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            receiver.Bind(endpoint);
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException(
                $"The UDP reach check binds its own socket to {endpoint} inside host '{target.Name}' to see the probe arrive, "
                + $"and binding failed with {ProbeOutcome.ErrnoText(ex.SocketErrorCode, ex.Message)}: probe a UDP port no socket of yours holds there.", ex);
        }

        using var sender = source.CreateSocket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var nonce = RandomNumberGenerator.GetBytes(16);
        var buffer = new byte[64];
        using var deadline = new CancellationTokenSource(timeout);
        var started = Stopwatch.GetTimestamp();
        SocketException? lastError = null;
        try
        {
            // A UDP connect only looks up the route (ENETUNREACH here is final) and lets later sends
            // report the ICMP errors that come back (EHOSTUNREACH after failed neighbour resolution).
            sender.Connect(endpoint);
            var receiving = receiver.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask();
            while (true)
            {
                try
                {
                    sender.Send(nonce);
                }
                catch (SocketException ex) when (IsFinal(ex.SocketErrorCode))
                {
                    return ProbeOutcome.Failure(sourceAddress, endpoint.Address, "sending the probe datagram", ex);
                }
                catch (SocketException ex)
                {
                    lastError = ex;
                }

                using var pause = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                pause.CancelAfter(UdpResendInterval);
                await Task.WhenAny(receiving, Task.Delay(Timeout.Infinite, pause.Token)).ConfigureAwait(false);
                if (receiving.IsCompletedSuccessfully)
                {
                    if (buffer.AsSpan(0, receiving.Result).SequenceEqual(nonce))
                    {
                        return ProbeOutcome.Success(LocalAddress(sender) ?? sourceAddress, endpoint.Address, "the probe datagram arrived", Stopwatch.GetElapsedTime(started));
                    }
                    receiving = receiver.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask(); // a stray datagram: keep listening
                }
                else if (receiving.IsFaulted)
                {
                    await receiving.ConfigureAwait(false); // rethrows: the target's own socket failed, not the network
                }
                if (deadline.IsCancellationRequested)
                {
                    return ProbeOutcome.Timeout(sourceAddress, endpoint.Address, "probe datagram arrived", timeout, lastError);
                }
            }
        }
        catch (SocketException ex) when (IsFinal(ex.SocketErrorCode))
        {
            return ProbeOutcome.Failure(sourceAddress, endpoint.Address, "connecting the UDP probe socket", ex);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return ProbeOutcome.Timeout(sourceAddress, endpoint.Address, "probe datagram arrived", timeout, lastError);
        }
    }

    // Errors that settle the question at once: no route, an ICMP unreachable, a prohibiting route or filter.
    private static bool IsFinal(SocketError error) => error is SocketError.NetworkUnreachable or SocketError.HostUnreachable
        or SocketError.ConnectionRefused or SocketError.AccessDenied or SocketError.NetworkDown or SocketError.InvalidArgument;

    private static IPAddress? LocalAddress(Socket socket) => (socket.LocalEndPoint as IPEndPoint)?.Address;
}
