using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Netlink;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netfilter;

/// <summary>Connection-tracking states a rule can match (`ct state`); several mean any of them.</summary>
[Flags]
internal enum NftConnectionStates
{
    None = 0,
    Invalid = (int)NF_CT_STATE_INVALID_BIT,
    Established = (int)NF_CT_STATE_ESTABLISHED_BIT,
    Related = (int)NF_CT_STATE_RELATED_BIT,
    New = (int)NF_CT_STATE_NEW_BIT,
    Untracked = (int)NF_CT_STATE_UNTRACKED_BIT,
}

/// <summary>How a rejected packet is answered: a TCP reset, or an ICMP/ICMPv6 unreachable of the packet's family (icmpx).</summary>
internal enum NftRejectKind
{
    TcpReset,
    PortUnreachable,
    HostUnreachable,
    AdminProhibited,
    NoRoute,
}

/// <summary>What a rule does with a packet it matches.</summary>
internal abstract record NftAction
{
    private protected NftAction()
    {
    }

    public static NftAction Accept { get; } = new Verdict(NF_ACCEPT);

    public static NftAction Drop { get; } = new Verdict(NF_DROP);

    public static NftAction Return { get; } = new Verdict(NFT_RETURN);

    /// <summary>Counts the packet and goes on to the next rule (no verdict).</summary>
    public static NftAction Continue { get; } = new Verdict(NFT_CONTINUE);

    public static NftAction Masquerade { get; } = new MasqueradeAction();

    public static NftAction Reject(NftRejectKind kind) => new RejectWith(kind);

    public static NftAction Jump(string chain) => new JumpTo(chain);

    /// <summary>DNAT to an address, and to a port when given (TCP/UDP rules only).</summary>
    public static NftAction DestinationNat(IPAddress address, int? port = null) => new DestinationNatTo(address, port);

    public static NftAction SourceNat(IPAddress address) => new SourceNatTo(address);

    internal sealed record Verdict(int Code) : NftAction
    {
        public override string ToString() => Code switch
        {
            NF_ACCEPT => "accept",
            NF_DROP => "drop",
            NFT_RETURN => "return",
            _ => "",
        };
    }

    internal sealed record RejectWith(NftRejectKind Kind) : NftAction
    {
        public override string ToString() => Kind switch
        {
            NftRejectKind.TcpReset => "reject with tcp reset",
            NftRejectKind.PortUnreachable => "reject with icmpx port-unreachable",
            NftRejectKind.HostUnreachable => "reject with icmpx host-unreachable",
            NftRejectKind.AdminProhibited => "reject with icmpx admin-prohibited",
            _ => "reject with icmpx no-route",
        };
    }

    internal sealed record JumpTo(string Chain) : NftAction
    {
        public override string ToString() => "jump " + Chain;
    }

    internal sealed record MasqueradeAction : NftAction
    {
        public override string ToString() => "masquerade";
    }

    internal sealed record DestinationNatTo(IPAddress Address, int? Port) : NftAction
    {
        public override string ToString() => Address.AddressFamily == AddressFamily.InterNetwork
            ? $"dnat ip to {Address}{(Port is { } p ? ":" + p : "")}"
            : $"dnat ip6 to {(Port is { } port ? $"[{Address}]:{port}" : Address.ToString())}";
    }

    internal sealed record SourceNatTo(IPAddress Address) : NftAction
    {
        public override string ToString() => $"snat {(Address.AddressFamily == AddressFamily.InterNetwork ? "ip" : "ip6")} to {Address}";
    }
}

/// <summary>
/// One rule: what it matches (every criterion given must hold) and what it does. Compiled into
/// expressions in a fixed order, the order nft emits for the same rule written left to right:
/// interfaces, layer 3 (nfproto, saddr, daddr), layer 4 (l4proto, sport, dport), ct state, counter, action.
/// </summary>
internal sealed record NftRule
{
    /// <summary>IPv4 or IPv6 only, without naming addresses (Unspecified: both, unless an address says).</summary>
    public AddressFamily Family { get; init; } = AddressFamily.Unspecified;

    public IPNetwork? Source { get; init; }

    public IPNetwork? Destination { get; init; }

    /// <summary>The layer-4 protocol (`meta l4proto`); ports need TCP or UDP.</summary>
    public ProtocolType? Protocol { get; init; }

    public int? SourcePort { get; init; }

    public int? DestinationPort { get; init; }

    /// <summary>The interface the packet came in on (`iifname`).</summary>
    public string? InInterface { get; init; }

    /// <summary>The interface the packet leaves by (`oifname`).</summary>
    public string? OutInterface { get; init; }

    public NftConnectionStates States { get; init; }

    /// <summary>TCP flags of which at least one must be set (`tcp flags &amp; (rst) != 0`); needs <see cref="Protocol"/> TCP.</summary>
    public byte? TcpFlagsAny { get; init; }

    /// <summary>The ICMP or ICMPv6 message type (`icmpv6 type 136`); needs <see cref="Protocol"/> ICMP or ICMPv6.</summary>
    public byte? IcmpType { get; init; }

    /// <summary>The packet's mark (`meta mark`), set on a socket with SO_MARK.</summary>
    public uint? Mark { get; init; }

    /// <summary>Count packets and bytes (`counter`), readable with `nft list ruleset`.</summary>
    public bool Counter { get; init; }

    public required NftAction Action { get; init; }

    /// <summary>The layer-3 family the rule is restricted to, from its addresses, NAT target or <see cref="Family"/>.</summary>
    public AddressFamily EffectiveFamily
    {
        get
        {
            if (Family != AddressFamily.Unspecified)
            {
                return Family;
            }
            if (Source is { } source)
            {
                return source.BaseAddress.AddressFamily;
            }
            if (Destination is { } destination)
            {
                return destination.BaseAddress.AddressFamily;
            }
            return Action switch
            {
                NftAction.DestinationNatTo dnat => dnat.Address.AddressFamily,
                NftAction.SourceNatTo snat => snat.Address.AddressFamily,
                _ => AddressFamily.Unspecified,
            };
        }
    }

    /// <summary>Throws if the rule cannot work in <paramref name="chain"/> or contradicts itself.</summary>
    public void Validate(NftChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(Action, nameof(Action));
        var family = EffectiveFamily;
        if (family is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Rule '{this}': family {family} is neither IPv4 nor IPv6.");
        }
        foreach (var (what, address) in new (string, IPAddress?)[]
        {
            ("source", Source?.BaseAddress),
            ("destination", Destination?.BaseAddress),
            ("NAT", (Action as NftAction.DestinationNatTo)?.Address ?? (Action as NftAction.SourceNatTo)?.Address),
        })
        {
            if (address is not null && address.AddressFamily != family)
            {
                throw new ArgumentException($"Rule '{this}': the {what} address {address} is not {Describe(family)} like the rest of the rule.");
            }
        }
        if ((SourcePort is not null || DestinationPort is not null) && Protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
        {
            throw new ArgumentException($"Rule '{this}': ports need the protocol TCP or UDP.");
        }
        foreach (var port in new[] { SourcePort, DestinationPort, (Action as NftAction.DestinationNatTo)?.Port })
        {
            if (port is < 1 or > 65535)
            {
                throw new ArgumentException($"Rule '{this}': port {port} is outside 1–65535.");
            }
        }
        if (TcpFlagsAny is not null && Protocol != ProtocolType.Tcp)
        {
            throw new ArgumentException($"Rule '{this}': TCP flags need the protocol TCP.");
        }
        if (IcmpType is not null && Protocol is not (ProtocolType.Icmp or ProtocolType.IcmpV6))
        {
            throw new ArgumentException($"Rule '{this}': an ICMP type needs the protocol ICMP or ICMPv6.");
        }
        if (Protocol is { } protocol && (int)protocol is < 0 or > 255)
        {
            throw new ArgumentException($"Rule '{this}': protocol {protocol} is not an IP protocol number.");
        }
        if (InInterface is not null)
        {
            InterfaceName.Validate(InInterface, nameof(InInterface));
        }
        if (OutInterface is not null)
        {
            InterfaceName.Validate(OutInterface, nameof(OutInterface));
        }
        if (Action is NftAction.RejectWith { Kind: NftRejectKind.TcpReset } && Protocol is not (null or ProtocolType.Tcp))
        {
            throw new ArgumentException($"Rule '{this}': a TCP reset answers TCP only.");
        }
        if (Action is NftAction.DestinationNatTo { Port: not null } && Protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
        {
            throw new ArgumentException($"Rule '{this}': DNAT to a port needs the protocol TCP or UDP.");
        }
        if (chain.Hook is not { } hook)
        {
            return; // a regular chain: the kernel checks it against the hooks that jump to it
        }
        switch (Action)
        {
            case NftAction.DestinationNatTo when hook != NftHook.Prerouting && hook != NftHook.NatOutput:
                throw new ArgumentException($"Rule '{this}': DNAT belongs in the prerouting or nat output chain, not '{chain.Name}'.");
            case NftAction.SourceNatTo or NftAction.MasqueradeAction when hook != NftHook.Postrouting:
                throw new ArgumentException($"Rule '{this}': SNAT and masquerade belong in the postrouting chain, not '{chain.Name}'.");
            case NftAction.RejectWith when hook.IsNat:
                throw new ArgumentException($"Rule '{this}': reject belongs in a filter chain, not the nat chain '{chain.Name}'.");
        }
        if (InInterface is not null && (hook == NftHook.Output || hook == NftHook.NatOutput || hook == NftHook.Postrouting))
        {
            throw new ArgumentException($"Rule '{this}': packets in '{chain.Name}' have no input interface.");
        }
        if (OutInterface is not null && (hook == NftHook.Input || hook == NftHook.Prerouting))
        {
            throw new ArgumentException($"Rule '{this}': packets in '{chain.Name}' have no output interface yet.");
        }
    }

    /// <summary>The rule's expressions, as nft would build them.</summary>
    public IReadOnlyList<NftExpression> Compile()
    {
        var expressions = new List<NftExpression>();
        if (InInterface is not null)
        {
            AddInterface(expressions, NFT_META_IIFNAME, InInterface);
        }
        if (OutInterface is not null)
        {
            AddInterface(expressions, NFT_META_OIFNAME, OutInterface);
        }
        if (Mark is { } mark)
        {
            // Equivalent to: meta mark 0x... (host byte order, like every meta key)
            Span<byte> value = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(value, mark);
            expressions.Add(new NftMeta(NFT_META_MARK));
            expressions.Add(new NftCmp(NFT_CMP_EQ, value));
        }
        var family = EffectiveFamily;
        if (family != AddressFamily.Unspecified)
        {
            // Equivalent to: meta nfproto ipv4|ipv6 (an inet table sees both)
            expressions.Add(new NftMeta(NFT_META_NFPROTO));
            expressions.Add(new NftCmp(NFT_CMP_EQ, [family == AddressFamily.InterNetwork ? NFPROTO_IPV4 : NFPROTO_IPV6]));
            bool v4 = family == AddressFamily.InterNetwork;
            if (Source is { } source)
            {
                AddPrefix(expressions, v4 ? 12u : 8u, source);
            }
            if (Destination is { } destination)
            {
                AddPrefix(expressions, v4 ? 16u : 24u, destination);
            }
        }
        var protocol = Protocol ?? (Action is NftAction.RejectWith { Kind: NftRejectKind.TcpReset } ? ProtocolType.Tcp : null);
        if (protocol is { } l4)
        {
            // Equivalent to: meta l4proto tcp|udp|...
            expressions.Add(new NftMeta(NFT_META_L4PROTO));
            expressions.Add(new NftCmp(NFT_CMP_EQ, [(byte)l4]));
            if (SourcePort is { } sourcePort)
            {
                AddPort(expressions, 0, sourcePort);
            }
            if (DestinationPort is { } destinationPort)
            {
                AddPort(expressions, 2, destinationPort);
            }
            if (TcpFlagsAny is { } flags)
            {
                // Equivalent to: tcp flags & FLAGS != 0 (the flags byte is at offset 13 of the TCP header)
                expressions.Add(new NftPayload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1));
                expressions.Add(new NftBitwise([flags], [0]));
                expressions.Add(new NftCmp(NFT_CMP_NEQ, [0]));
            }
            if (IcmpType is { } icmpType)
            {
                // Equivalent to: icmp|icmpv6 type N (the first byte of the ICMP header)
                expressions.Add(new NftPayload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1));
                expressions.Add(new NftCmp(NFT_CMP_EQ, [icmpType]));
            }
        }
        if (States != NftConnectionStates.None)
        {
            // Equivalent to: ct state S1,S2 (any of the bits)
            Span<byte> mask = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(mask, (uint)States);
            expressions.Add(new NftCt(NFT_CT_STATE));
            expressions.Add(new NftBitwise(mask, stackalloc byte[4]));
            expressions.Add(new NftCmp(NFT_CMP_NEQ, stackalloc byte[4]));
        }
        if (Counter)
        {
            expressions.Add(NftCounter.Instance);
        }
        switch (Action)
        {
            case NftAction.Verdict { Code: NFT_CONTINUE }:
                break;
            case NftAction.Verdict { Code: NF_ACCEPT }:
                expressions.Add(NftVerdict.Accept);
                break;
            case NftAction.Verdict { Code: NF_DROP }:
                expressions.Add(NftVerdict.Drop);
                break;
            case NftAction.Verdict { Code: NFT_RETURN }:
                expressions.Add(NftVerdict.Return);
                break;
            case NftAction.JumpTo jump:
                expressions.Add(NftVerdict.Jump(jump.Chain));
                break;
            case NftAction.RejectWith reject:
                expressions.Add(reject.Kind switch
                {
                    NftRejectKind.TcpReset => NftReject.TcpReset(),
                    NftRejectKind.PortUnreachable => NftReject.Icmpx(NFT_REJECT_ICMPX_PORT_UNREACH),
                    NftRejectKind.HostUnreachable => NftReject.Icmpx(NFT_REJECT_ICMPX_HOST_UNREACH),
                    NftRejectKind.AdminProhibited => NftReject.Icmpx(NFT_REJECT_ICMPX_ADMIN_PROHIBITED),
                    _ => NftReject.Icmpx(NFT_REJECT_ICMPX_NO_ROUTE),
                });
                break;
            case NftAction.MasqueradeAction:
                expressions.Add(NftMasquerade.Instance);
                break;
            case NftAction.DestinationNatTo dnat:
                AddNat(expressions, NFT_NAT_DNAT, dnat.Address, dnat.Port);
                break;
            case NftAction.SourceNatTo snat:
                AddNat(expressions, NFT_NAT_SNAT, snat.Address, port: null);
                break;
            default:
                throw new ArgumentException($"Rule '{this}': unknown action.");
        }
        return expressions;
    }

    /// <summary>The rule in nft syntax, e.g. `ip saddr 10.0.1.0/24 tcp dport 80 counter drop`.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (InInterface is not null)
        {
            text.Append("iifname \"").Append(InInterface).Append("\" ");
        }
        if (OutInterface is not null)
        {
            text.Append("oifname \"").Append(OutInterface).Append("\" ");
        }
        if (Mark is { } mark)
        {
            text.Append("meta mark 0x").Append(mark.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
        }
        string ip = Family == AddressFamily.InterNetworkV6 || Source?.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 || Destination?.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip";
        if (Source is null && Destination is null && Family != AddressFamily.Unspecified)
        {
            text.Append("meta nfproto ").Append(Family == AddressFamily.InterNetwork ? "ipv4 " : "ipv6 ");
        }
        if (Source is { } source)
        {
            text.Append(ip).Append(" saddr ").Append(Prefix(source)).Append(' ');
        }
        if (Destination is { } destination)
        {
            text.Append(ip).Append(" daddr ").Append(Prefix(destination)).Append(' ');
        }
        string? l4 = Protocol switch
        {
            null => null,
            ProtocolType.Tcp => "tcp",
            ProtocolType.Udp => "udp",
            ProtocolType.Icmp => "icmp",
            ProtocolType.IcmpV6 => "icmpv6",
            var other => ((int)other!).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (l4 is not null && SourcePort is null && DestinationPort is null && IcmpType is null && TcpFlagsAny is null)
        {
            text.Append("meta l4proto ").Append(l4).Append(' ');
        }
        if (SourcePort is { } sourcePort)
        {
            text.Append(l4).Append(" sport ").Append(sourcePort).Append(' ');
        }
        if (DestinationPort is { } destinationPort)
        {
            text.Append(l4).Append(" dport ").Append(destinationPort).Append(' ');
        }
        if (TcpFlagsAny is { } tcpFlags)
        {
            text.Append("tcp flags & 0x").Append(tcpFlags.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append(" != 0 ");
        }
        if (IcmpType is { } icmpType)
        {
            text.Append(l4).Append(" type ").Append(icmpType).Append(' ');
        }
        if (States != NftConnectionStates.None)
        {
            text.Append("ct state ").Append(string.Join(',', Enum.GetValues<NftConnectionStates>()
                .Where(s => s != NftConnectionStates.None && States.HasFlag(s))
                .Select(s => s.ToString().ToLowerInvariant()))).Append(' ');
        }
        if (Counter)
        {
            text.Append("counter ");
        }
        text.Append(Action);
        return text.ToString().TrimEnd();
    }

    private static string Prefix(IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) ? network.BaseAddress.ToString() : network.ToString();

    private static string Describe(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    // Equivalent to: iifname|oifname "NAME" (compared over IFNAMSIZ bytes, NUL-padded)
    private static void AddInterface(List<NftExpression> expressions, uint key, string name)
    {
        Span<byte> bytes = stackalloc byte[IFNAMSIZ];
        bytes.Clear();
        Encoding.UTF8.GetBytes(name, bytes);
        expressions.Add(new NftMeta(key));
        expressions.Add(new NftCmp(NFT_CMP_EQ, bytes));
    }

    // Equivalent to: ip|ip6 saddr|daddr PREFIX. As nft: a whole address or a byte-aligned prefix loads
    // just those bytes; any other prefix loads the address and masks it.
    private static void AddPrefix(List<NftExpression> expressions, uint offset, IPNetwork network)
    {
        Span<byte> address = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(address, out int length);
        address = address[..length];
        int bits = network.PrefixLength;
        if (bits == 0)
        {
            return;
        }
        if (bits % 8 == 0)
        {
            expressions.Add(new NftPayload(NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)(bits / 8)));
            expressions.Add(new NftCmp(NFT_CMP_EQ, address[..(bits / 8)]));
            return;
        }
        Span<byte> mask = stackalloc byte[length];
        for (int i = 0; i < length; i++)
        {
            int left = Math.Clamp(bits - (i * 8), 0, 8);
            mask[i] = (byte)(0xFF << (8 - left));
            address[i] &= mask[i];
        }
        expressions.Add(new NftPayload(NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)length));
        expressions.Add(new NftBitwise(mask, stackalloc byte[length]));
        expressions.Add(new NftCmp(NFT_CMP_EQ, address));
    }

    // Equivalent to: tcp|udp sport|dport PORT (both sit at the same offsets in TCP and UDP headers)
    private static void AddPort(List<NftExpression> expressions, uint offset, int port)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)port);
        expressions.Add(new NftPayload(NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2));
        expressions.Add(new NftCmp(NFT_CMP_EQ, bytes));
    }

    // Equivalent to: snat|dnat ip|ip6 to ADDRESS[:PORT]: the address into reg 1, the port into reg 2.
    private static void AddNat(List<NftExpression> expressions, uint type, IPAddress address, int? port)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        expressions.Add(new NftImmediate(NFT_REG_1, bytes[..length]));
        if (port is { } p)
        {
            Span<byte> portBytes = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(portBytes, (ushort)p);
            expressions.Add(new NftImmediate(NFT_REG_2, portBytes));
        }
        byte family = address.AddressFamily == AddressFamily.InterNetwork ? NFPROTO_IPV4 : NFPROTO_IPV6;
        expressions.Add(new NftNat(type, family, NFT_REG_1, port is null ? null : NFT_REG_2));
    }
}
