using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Isolated.Net.Netlink;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netfilter;

// One nf_tables expression of a rule: NFTA_LIST_ELEM { NFTA_EXPR_NAME "meta", NFTA_EXPR_DATA { ... } },
// encoded attribute for attribute as libnftnl does (the golden tests hold nft's bytes). ToString
// gives nft's own debug words (`nft --debug=netlink`), e.g. "[ meta load l4proto => reg 1 ]".
internal abstract class NftExpression
{
    private protected NftExpression(string name)
    {
        Name = name;
    }

    /// <summary>The kernel's name for the expression type: "meta", "cmp", "payload", ...</summary>
    public string Name { get; }

    /// <summary>Appends the expression to a rule's NFTA_RULE_EXPRESSIONS list.</summary>
    public void Encode(NetlinkAttributeWriter list)
    {
        var element = list.AddAttribute(NLA_F_NESTED | NFTA_LIST_ELEM);
        element.AddString(NFTA_EXPR_NAME, Name);
        EncodeData(element.AddAttribute(NLA_F_NESTED | NFTA_EXPR_DATA));
    }

    private protected abstract void EncodeData(NetlinkAttributeWriter data);

    private protected static void AddBigEndian(NetlinkAttributeWriter writer, ushort type, uint value) =>
        writer.AddAttribute(type, BinaryPrimitives.ReverseEndianness(value));

    // NFTA_DATA_VALUE inside a nest: the bytes a register is compared with or loaded from.
    private protected static void AddValue(NetlinkAttributeWriter writer, ushort type, ReadOnlySpan<byte> value) =>
        writer.AddAttribute((ushort)(NLA_F_NESTED | type)).AddAttribute(NFTA_DATA_VALUE, value);

    // nft prints register data as host-order 32-bit words: 0x0001000a is 10.0.1.0/24's first three bytes.
    private protected static string Words(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        Span<byte> word = stackalloc byte[4];
        for (int i = 0; i < bytes.Length; i += 4)
        {
            word.Clear();
            bytes[i..Math.Min(i + 4, bytes.Length)].CopyTo(word);
            text.Append(i == 0 ? "" : " ").Append("0x").Append(BinaryPrimitives.ReadUInt32LittleEndian(word).ToString("x8", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}

// Equivalent to: meta load KEY => reg N
internal sealed class NftMeta : NftExpression
{
    public NftMeta(uint key, uint destination = NFT_REG_1) : base("meta")
    {
        Key = key;
        Destination = destination;
    }

    public uint Key { get; }

    public uint Destination { get; }

    public override string ToString() => $"[ meta load {KeyName(Key)} => reg {Destination} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_META_KEY, Key);
        AddBigEndian(data, NFTA_META_DREG, Destination);
    }

    private static string KeyName(uint key) => key switch
    {
        NFT_META_MARK => "mark",
        NFT_META_IIFNAME => "iifname",
        NFT_META_OIFNAME => "oifname",
        NFT_META_NFPROTO => "nfproto",
        NFT_META_L4PROTO => "l4proto",
        _ => "key " + key.ToString(CultureInfo.InvariantCulture),
    };
}

// Equivalent to: payload load LENb @ BASE header + OFFSET => reg N
internal sealed class NftPayload : NftExpression
{
    public NftPayload(uint payloadBase, uint offset, uint length, uint destination = NFT_REG_1) : base("payload")
    {
        Base = payloadBase;
        Offset = offset;
        Length = length;
        Destination = destination;
    }

    public uint Base { get; }

    public uint Offset { get; }

    public uint Length { get; }

    public uint Destination { get; }

    public override string ToString() =>
        $"[ payload load {Length}b @ {(Base switch { NFT_PAYLOAD_LL_HEADER => "link", NFT_PAYLOAD_NETWORK_HEADER => "network", _ => "transport" })} header + {Offset} => reg {Destination} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_PAYLOAD_DREG, Destination);
        AddBigEndian(data, NFTA_PAYLOAD_BASE, Base);
        AddBigEndian(data, NFTA_PAYLOAD_OFFSET, Offset);
        AddBigEndian(data, NFTA_PAYLOAD_LEN, Length);
    }
}

// Equivalent to: cmp eq|neq|... reg N DATA (a mismatch ends the rule: NFT_BREAK)
internal sealed class NftCmp : NftExpression
{
    public NftCmp(uint op, ReadOnlySpan<byte> value, uint source = NFT_REG_1) : base("cmp")
    {
        Op = op;
        Value = value.ToArray();
        Source = source;
    }

    public uint Op { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public uint Source { get; }

    public override string ToString() =>
        $"[ cmp {Op switch { NFT_CMP_EQ => "eq", NFT_CMP_NEQ => "neq", NFT_CMP_LT => "lt", NFT_CMP_LTE => "lte", NFT_CMP_GT => "gt", _ => "gte" }} reg {Source} {Words(Value.Span)} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_CMP_SREG, Source);
        AddBigEndian(data, NFTA_CMP_OP, Op);
        AddValue(data, NFTA_CMP_DATA, Value.Span);
    }
}

// Equivalent to: bitwise reg N = ( reg N & MASK ) ^ XOR. Boolean is the kernel's default operation;
// nft names it (NFTA_BITWISE_OP) for a flags match such as `tcp flags & (syn | ack) == syn`, and not
// for a prefix or a ct state, so the golden bytes need both forms.
internal sealed class NftBitwise : NftExpression
{
    public NftBitwise(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> xor, uint source = NFT_REG_1, uint destination = NFT_REG_1, bool explicitBoolean = false) : base("bitwise")
    {
        if (mask.Length != xor.Length)
        {
            throw new ArgumentException("The mask and the xor value of a bitwise expression have the same length.", nameof(xor));
        }
        Mask = mask.ToArray();
        Xor = xor.ToArray();
        Source = source;
        Destination = destination;
        ExplicitBoolean = explicitBoolean;
    }

    public ReadOnlyMemory<byte> Mask { get; }

    public bool ExplicitBoolean { get; }

    public ReadOnlyMemory<byte> Xor { get; }

    public uint Source { get; }

    public uint Destination { get; }

    public override string ToString() => $"[ bitwise reg {Destination} = ( reg {Source} & {Words(Mask.Span)} ) ^ {Words(Xor.Span)} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_BITWISE_SREG, Source);
        AddBigEndian(data, NFTA_BITWISE_DREG, Destination);
        if (ExplicitBoolean)
        {
            AddBigEndian(data, NFTA_BITWISE_OP, NFT_BITWISE_BOOL);
        }
        AddBigEndian(data, NFTA_BITWISE_LEN, (uint)Mask.Length);
        AddValue(data, NFTA_BITWISE_MASK, Mask.Span);
        AddValue(data, NFTA_BITWISE_XOR, Xor.Span);
    }
}

// Equivalent to: immediate reg 0 accept|drop|jump -> CHAIN|return
internal sealed class NftVerdict : NftExpression
{
    private NftVerdict(int code, string? chain) : base("immediate")
    {
        Code = code;
        Chain = chain;
    }

    public static NftVerdict Accept { get; } = new(NF_ACCEPT, null);

    public static NftVerdict Drop { get; } = new(NF_DROP, null);

    public static NftVerdict Return { get; } = new(NFT_RETURN, null);

    public int Code { get; }

    public string? Chain { get; }

    public static NftVerdict Jump(string chain) => new(NFT_JUMP, chain);

    public static NftVerdict Goto(string chain) => new(NFT_GOTO, chain);

    public override string ToString() => $"[ immediate reg 0 {Code switch
    {
        NF_ACCEPT => "accept",
        NF_DROP => "drop",
        NFT_RETURN => "return",
        NFT_JUMP => "jump -> " + Chain,
        NFT_GOTO => "goto -> " + Chain,
        _ => Code.ToString(CultureInfo.InvariantCulture),
    }} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        var verdict = data.AddAttribute(NLA_F_NESTED | NFTA_IMMEDIATE_DATA).AddAttribute(NLA_F_NESTED | NFTA_DATA_VERDICT);
        AddBigEndian(verdict, NFTA_VERDICT_CODE, unchecked((uint)Code));
        if (Chain is not null)
        {
            verdict.AddString(NFTA_VERDICT_CHAIN, Chain);
        }
    }
}

// Equivalent to: immediate reg N DATA (a NAT address or port for nat to read)
internal sealed class NftImmediate : NftExpression
{
    public NftImmediate(uint destination, ReadOnlySpan<byte> value) : base("immediate")
    {
        Destination = destination;
        Value = value.ToArray();
    }

    public uint Destination { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public override string ToString() => $"[ immediate reg {Destination} {Words(Value.Span)} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_IMMEDIATE_DREG, Destination);
        AddValue(data, NFTA_IMMEDIATE_DATA, Value.Span);
    }
}

// Equivalent to: counter (nft sends no initial values; the kernel starts at zero)
internal sealed class NftCounter : NftExpression
{
    private NftCounter() : base("counter")
    {
    }

    public static NftCounter Instance { get; } = new();

    public override string ToString() => "[ counter pkts 0 bytes 0 ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
    }
}

// Equivalent to: reject type T code C (T: icmp unreach 0, tcp reset 1, icmpx unreach 2)
internal sealed class NftReject : NftExpression
{
    public NftReject(uint type, byte code) : base("reject")
    {
        Type = type;
        Code = code;
    }

    public uint Type { get; }

    public byte Code { get; }

    public static NftReject TcpReset() => new(NFT_REJECT_TCP_RST, 0);

    public static NftReject Icmpx(byte code) => new(NFT_REJECT_ICMPX_UNREACH, code);

    public override string ToString() => $"[ reject type {Type} code {Code} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_REJECT_TYPE, Type);
        data.AddAttribute(NFTA_REJECT_ICMP_CODE, Code);
    }
}

// Equivalent to: ct load KEY => reg N
internal sealed class NftCt : NftExpression
{
    public NftCt(uint key, uint destination = NFT_REG_1) : base("ct")
    {
        Key = key;
        Destination = destination;
    }

    public uint Key { get; }

    public uint Destination { get; }

    public override string ToString() => $"[ ct load {Key switch { NFT_CT_STATE => "state", NFT_CT_MARK => "mark", _ => Key.ToString(CultureInfo.InvariantCulture) }} => reg {Destination} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_CT_KEY, Key);
        AddBigEndian(data, NFTA_CT_DREG, Destination);
    }
}

// Equivalent to: ct set KEY with reg N (e.g. the connection's mark, to tell flows apart later)
internal sealed class NftCtSet : NftExpression
{
    public NftCtSet(uint key, uint source = NFT_REG_1) : base("ct")
    {
        Key = key;
        Source = source;
    }

    public uint Key { get; }

    public uint Source { get; }

    public override string ToString() => $"[ ct set {(Key == NFT_CT_MARK ? "mark" : Key.ToString(CultureInfo.InvariantCulture))} with reg {Source} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_CT_KEY, Key);
        AddBigEndian(data, NFTA_CT_SREG, Source);
    }
}

// Equivalent to: nat snat|dnat ip|ip6 addr_min reg N [proto_min reg M flags 0x2]
internal sealed class NftNat : NftExpression
{
    public NftNat(uint type, byte family, uint addressRegister, uint? portRegister) : base("nat")
    {
        Type = type;
        Family = family;
        AddressRegister = addressRegister;
        PortRegister = portRegister;
    }

    public uint Type { get; }

    public byte Family { get; }

    public uint AddressRegister { get; }

    public uint? PortRegister { get; }

    public override string ToString() =>
        $"[ nat {(Type == NFT_NAT_SNAT ? "snat" : "dnat")} {(Family == NFPROTO_IPV6 ? "ip6" : "ip")} addr_min reg {AddressRegister}{(PortRegister is { } port ? $" proto_min reg {port} flags 0x{NF_NAT_RANGE_PROTO_SPECIFIED:x}" : "")} ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
        AddBigEndian(data, NFTA_NAT_TYPE, Type);
        AddBigEndian(data, NFTA_NAT_FAMILY, Family);
        AddBigEndian(data, NFTA_NAT_REG_ADDR_MIN, AddressRegister);
        if (PortRegister is { } port)
        {
            AddBigEndian(data, NFTA_NAT_REG_PROTO_MIN, port);
            AddBigEndian(data, NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
        }
    }
}

// Equivalent to: masq (the outgoing interface's primary address, chosen per packet)
internal sealed class NftMasquerade : NftExpression
{
    private NftMasquerade() : base("masq")
    {
    }

    public static NftMasquerade Instance { get; } = new();

    public override string ToString() => "[ masq ]";

    private protected override void EncodeData(NetlinkAttributeWriter data)
    {
    }
}
