using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

// UDP: one association per client endpoint, like docker-proxy and conntrack: a socket inside the host,
// connected to the host's address, whose replies go back to that client; closed after an idle time.
public sealed partial class PublishedPort
{
    internal static readonly TimeSpan UdpIdleTimeout = TimeSpan.FromSeconds(60);

    private const int MaxDatagram = 65_535;

    private readonly UdpAssociations _udpAssociations;

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[MaxDatagram];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _listener.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, any, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier reply to a client that is gone: not the listener's failure.
                continue;
            }
            var client = (IPEndPoint)received.RemoteEndPoint;
            // Awaited before the next datagram is read, so one client's datagrams keep their order.
            var association = await _udpAssociations.GetOrOpenAsync(client).ConfigureAwait(false);
            if (association is null)
            {
                continue;
            }
            try
            {
                await association.Upstream.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None).ConfigureAwait(false);
                association.Touch();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // An earlier datagram met a closed port inside the host (ICMP port unreachable); UDP loses it.
                association.TryNextTarget();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private sealed class UdpAssociations(PublishedPort port)
    {
        private readonly Dictionary<IPEndPoint, UdpAssociation> _byClient = [];

        public int Count
        {
            get
            {
                lock (_byClient)
                {
                    return _byClient.Count;
                }
            }
        }

        public async Task<UdpAssociation?> GetOrOpenAsync(IPEndPoint client)
        {
            lock (_byClient)
            {
                if (_byClient.TryGetValue(client, out var existing))
                {
                    return existing;
                }
            }
            int index = Volatile.Read(ref port._preferredTarget);
            var target = port._targets[index];
            Socket upstream;
            try
            {
                upstream = await port.CreateHostSocketAsync(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp).ConfigureAwait(false);
            }
            catch (Exception) when (port._stopping.IsCancellationRequested)
            {
                return null;
            }
            var association = new UdpAssociation(port, client, upstream, index);
            lock (_byClient)
            {
                if (port.IsDisposed)
                {
                    upstream.Dispose();
                    return null;
                }
                _byClient.Add(client, association);
            }
            association.Start();
            return association;
        }

        public void Remove(UdpAssociation association)
        {
            lock (_byClient)
            {
                if (_byClient.TryGetValue(association.Client, out var found) && found == association)
                {
                    _byClient.Remove(association.Client);
                }
            }
            association.Upstream.Dispose();
        }

        public void CloseAll()
        {
            List<UdpAssociation> all;
            lock (_byClient)
            {
                all = [.. _byClient.Values];
                _byClient.Clear();
            }
            foreach (var association in all)
            {
                association.Upstream.Dispose();
            }
        }

        public async Task SweepLoopAsync(CancellationToken stopping)
        {
            var period = UdpIdleTimeout / 4;
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(period, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                List<UdpAssociation> idle;
                lock (_byClient)
                {
                    idle = [.. _byClient.Values.Where(a => a.IdleFor > UdpIdleTimeout)];
                }
                foreach (var association in idle)
                {
                    Remove(association);
                }
            }
        }
    }

    private sealed class UdpAssociation(PublishedPort port, IPEndPoint client, Socket upstream, int targetIndex)
    {
        private long _lastActive = Stopwatch.GetTimestamp();
        private int _targetIndex = targetIndex;

        public IPEndPoint Client => client;

        public Socket Upstream => upstream;

        public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActive));

        public void Touch() => Volatile.Write(ref _lastActive, Stopwatch.GetTimestamp());

        public void Start()
        {
            upstream.Connect(new IPEndPoint(port._targets[_targetIndex], port.Port));
            _ = ReplyLoopAsync();
        }

        // The port is closed at this address (ICMP port unreachable): send the next datagrams to the next one.
        public void TryNextTarget()
        {
            _targetIndex = (_targetIndex + 1) % port._targets.Length;
            Volatile.Write(ref port._preferredTarget, _targetIndex);
            try
            {
                upstream.Connect(new IPEndPoint(port._targets[_targetIndex], port.Port));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ReplyLoopAsync()
        {
            var buffer = new byte[MaxDatagram];
            while (true)
            {
                int read;
                try
                {
                    read = await upstream.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    TryNextTarget();
                    continue;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
                Touch();
                try
                {
                    await port._listener.SendToAsync(buffer.AsMemory(0, read), SocketFlags.None, client).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    if (port.IsDisposed)
                    {
                        return;
                    }
                }
            }
        }
    }
}
