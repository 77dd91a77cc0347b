using System.Globalization;
using System.Net;
using Isolated.Net.Netlink;
using Isolated.Net.Reaping;

namespace Isolated.Net;

public sealed partial class Topology
{
    private static int s_rootLinkCount;
    private readonly List<RootLink> _rootLinks = [];

    /// <summary>
    /// Opt-in: joins <paramref name="host"/> to the machine's root namespace with a veth pair, so code in
    /// the host can reach services on the machine at <see cref="RootLink.RootAddress"/>. This is the only
    /// operation that changes the root namespace: a link named <c>isnPPPPPNN</c> (tagged with an alias)
    /// and its /30 route appear there until the link or the topology is disposed.
    /// </summary>
    /// <param name="host">The host to connect.</param>
    /// <param name="subnet">An IPv4 /30 for the link (root side .1, host side .2); default: one from 169.254.100.0–169.254.199.255, chosen per process.</param>
    /// <exception cref="ArgumentException">The subnet is not a /30 with its host bits zero.</exception>
    /// <exception cref="NotSupportedException">Rootless mode (<c>isolated-net exec</c> without <c>--net</c>): the root namespace is the machine's.</exception>
    public RootLink ConnectToRoot(string host, string? subnet = null)
    {
        var target = this[host];
        int n = Interlocked.Increment(ref s_rootLinkCount);
        IPNetwork network;
        if (subnet is null)
        {
            int slot = (Environment.ProcessId * 7 + n) % (100 * 64);
            network = new IPNetwork(new IPAddress([169, 254, (byte)(100 + (slot / 64)), (byte)(slot % 64 * 4)]), 30);
        }
        else if (!TopologyPlan.TryParseNetwork(subnet, out network) || network.PrefixLength != 30 || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Root link subnet '{subnet}' must be an IPv4 /30 with its host bits zero, such as 169.254.120.0/30.", nameof(subnet));
        }
        var rootAddress = new InterfaceAddress(AddressMath.Add(network.BaseAddress, 1), 30);
        var hostAddress = new InterfaceAddress(AddressMath.Add(network.BaseAddress, 2), 30);
        var rootName = string.Create(CultureInfo.InvariantCulture, $"isn{Environment.ProcessId % 100000:D5}{n % 10000:D4}");
        var hostName = "root" + _rootLinks.Count(l => l.Host == target).ToString(CultureInfo.InvariantCulture);
        var tag = RootLink.Tag;

        Namespaces.UserNamespaces.EnsureProcessNetworkNamespaceIsOurs("A root link (Topology.ConnectToRoot)");

        // Journaled first: if the host namespace outlives a crash (a process kept it), the reaper
        // deletes the root side, recognising it by name and alias.
        int journalId = RunJournal.RecordRootLink(rootName, tag);
        var root = RootNamespace.Value;
        try
        {
            // Equivalent to: ip link add ROOTNAME up type veth peer name rootK netns HOST
            //                ip link set ROOTNAME alias TAG; ip addr add .1/30 dev ROOTNAME
            root.Netlink.CreateVethPair(new VethEnd(rootName, (NetworkNamespace?)null), new VethEnd(hostName, target.Namespace), up: true);
            int rootIndex = root.Netlink.GetLinkIndex(rootName);
            root.Netlink.Execute(RouteRequest.SetAlias(rootIndex, tag), RouteRequest.AddAddress(rootIndex, rootAddress.Address, 30));
            // Equivalent to: ip -n HOST link set rootK up; ip -n HOST addr add .2/30 dev rootK
            int hostIndex = target.Namespace.Netlink.GetLinkIndex(hostName);
            target.Namespace.Netlink.Execute(RouteRequest.SetLinkState(hostIndex, up: true), RouteRequest.AddAddress(hostIndex, hostAddress.Address, 30));
        }
        catch
        {
            try
            {
                root.Netlink.DeleteLink(rootName);
            }
            catch (NetworkOperationException)
            {
            }
            RunJournal.Release(journalId);
            throw;
        }
        var link = new RootLink(target, rootName, hostName, rootAddress, hostAddress, journalId);
        lock (_rootLinks)
        {
            _rootLinks.Add(link);
        }
        return link;
    }

    // On dispose the host namespaces go, and their veth peers in the root namespace with them.
    private void ForgetRootLinks()
    {
        lock (_rootLinks)
        {
            foreach (var link in _rootLinks)
            {
                link.Forget();
            }
            _rootLinks.Clear();
        }
    }
}
