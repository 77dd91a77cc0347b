using System.Runtime.InteropServices;

namespace Isolated.Net.Interop;

// nfnetlink and nf_tables wire structs and constants (linux/netlink.h, linux/netfilter/nfnetlink.h,
// nf_tables.h, nf_nat.h, nf_conntrack_common.h, linux/netfilter.h), kept with their C names. Every
// integer inside an nf_tables attribute is big-endian (the kernel reads it with ntohl), and so is
// nfgenmsg.res_id; register data (NFTA_DATA_VALUE) is the packet's own bytes, or host order for meta
// and ct keys.
internal static partial class Interop
{
    // linux/netlink.h
    public const int NETLINK_NETFILTER = 12;

    // linux/netfilter/nfnetlink.h
    public const byte NFNETLINK_V0 = 0;
    public const ushort NFNL_SUBSYS_NFTABLES = 10;

    // linux/netfilter/nfnetlink.h: a transaction is framed by these two messages (NLMSG_MIN_TYPE + 0/1).
    public const ushort NFNL_MSG_BATCH_BEGIN = 0x10;
    public const ushort NFNL_MSG_BATCH_END = 0x11;

    // enum nf_tables_msg_types
    public const ushort NFT_MSG_NEWTABLE = 0;
    public const ushort NFT_MSG_GETTABLE = 1;
    public const ushort NFT_MSG_DELTABLE = 2;
    public const ushort NFT_MSG_NEWCHAIN = 3;
    public const ushort NFT_MSG_GETCHAIN = 4;
    public const ushort NFT_MSG_DELCHAIN = 5;
    public const ushort NFT_MSG_NEWRULE = 6;
    public const ushort NFT_MSG_GETRULE = 7;
    public const ushort NFT_MSG_DELRULE = 8;
    public const ushort NFT_MSG_NEWSET = 9;
    public const ushort NFT_MSG_NEWSETELEM = 12;
    public const ushort NFT_MSG_NEWGEN = 15;
    public const ushort NFT_MSG_GETGEN = 16;

    // linux/netfilter.h: enum nfproto (nfgen_family of an nf_tables message).
    public const byte NFPROTO_UNSPEC = 0;
    public const byte NFPROTO_INET = 1;
    public const byte NFPROTO_IPV4 = 2;
    public const byte NFPROTO_ARP = 3;
    public const byte NFPROTO_NETDEV = 5;
    public const byte NFPROTO_BRIDGE = 7;
    public const byte NFPROTO_IPV6 = 10;

    // enum nf_inet_hooks
    public const uint NF_INET_PRE_ROUTING = 0;
    public const uint NF_INET_LOCAL_IN = 1;
    public const uint NF_INET_FORWARD = 2;
    public const uint NF_INET_LOCAL_OUT = 3;
    public const uint NF_INET_POST_ROUTING = 4;

    // Verdicts (linux/netfilter.h) and nf_tables' own (enum nft_verdicts).
    public const int NF_DROP = 0;
    public const int NF_ACCEPT = 1;
    public const int NFT_CONTINUE = -1;
    public const int NFT_BREAK = -2;
    public const int NFT_JUMP = -3;
    public const int NFT_GOTO = -4;
    public const int NFT_RETURN = -5;

    // Chain priorities nft names (filter, dstnat, srcnat).
    public const int NF_IP_PRI_NAT_DST = -100;
    public const int NF_IP_PRI_FILTER = 0;
    public const int NF_IP_PRI_NAT_SRC = 100;

    // enum nft_registers: the 16-byte registers nft uses (NFT_REG_VERDICT holds a rule's verdict).
    public const uint NFT_REG_VERDICT = 0;
    public const uint NFT_REG_1 = 1;
    public const uint NFT_REG_2 = 2;

    // enum nft_list_attributes, nft_expr_attributes, nft_data_attributes, nft_verdict_attributes
    public const ushort NFTA_LIST_ELEM = 1;
    public const ushort NFTA_EXPR_NAME = 1;
    public const ushort NFTA_EXPR_DATA = 2;
    public const ushort NFTA_DATA_VALUE = 1;
    public const ushort NFTA_DATA_VERDICT = 2;
    public const ushort NFTA_VERDICT_CODE = 1;
    public const ushort NFTA_VERDICT_CHAIN = 2;

    // enum nft_table_attributes
    public const ushort NFTA_TABLE_NAME = 1;
    public const ushort NFTA_TABLE_FLAGS = 2;

    // enum nft_chain_attributes, nft_hook_attributes
    public const ushort NFTA_CHAIN_TABLE = 1;
    public const ushort NFTA_CHAIN_HANDLE = 2;
    public const ushort NFTA_CHAIN_NAME = 3;
    public const ushort NFTA_CHAIN_HOOK = 4;
    public const ushort NFTA_CHAIN_POLICY = 5;
    public const ushort NFTA_CHAIN_TYPE = 7;
    public const ushort NFTA_HOOK_HOOKNUM = 1;
    public const ushort NFTA_HOOK_PRIORITY = 2;

    // enum nft_rule_attributes
    public const ushort NFTA_RULE_TABLE = 1;
    public const ushort NFTA_RULE_CHAIN = 2;
    public const ushort NFTA_RULE_HANDLE = 3;
    public const ushort NFTA_RULE_EXPRESSIONS = 4;

    // meta: enum nft_meta_attributes, nft_meta_keys
    public const ushort NFTA_META_DREG = 1;
    public const ushort NFTA_META_KEY = 2;
    public const ushort NFTA_META_SREG = 3;
    public const uint NFT_META_LEN = 0;
    public const uint NFT_META_PROTOCOL = 1;
    public const uint NFT_META_MARK = 3;
    public const uint NFT_META_IIF = 4;
    public const uint NFT_META_OIF = 5;
    public const uint NFT_META_IIFNAME = 6;
    public const uint NFT_META_OIFNAME = 7;
    public const uint NFT_META_NFPROTO = 15;
    public const uint NFT_META_L4PROTO = 16;

    // cmp: enum nft_cmp_attributes, nft_cmp_ops
    public const ushort NFTA_CMP_SREG = 1;
    public const ushort NFTA_CMP_OP = 2;
    public const ushort NFTA_CMP_DATA = 3;
    public const uint NFT_CMP_EQ = 0;
    public const uint NFT_CMP_NEQ = 1;
    public const uint NFT_CMP_LT = 2;
    public const uint NFT_CMP_LTE = 3;
    public const uint NFT_CMP_GT = 4;
    public const uint NFT_CMP_GTE = 5;

    // payload: enum nft_payload_attributes, nft_payload_bases
    public const ushort NFTA_PAYLOAD_DREG = 1;
    public const ushort NFTA_PAYLOAD_BASE = 2;
    public const ushort NFTA_PAYLOAD_OFFSET = 3;
    public const ushort NFTA_PAYLOAD_LEN = 4;
    public const uint NFT_PAYLOAD_LL_HEADER = 0;
    public const uint NFT_PAYLOAD_NETWORK_HEADER = 1;
    public const uint NFT_PAYLOAD_TRANSPORT_HEADER = 2;

    // bitwise: enum nft_bitwise_attributes, nft_bitwise_ops
    public const ushort NFTA_BITWISE_SREG = 1;
    public const ushort NFTA_BITWISE_DREG = 2;
    public const ushort NFTA_BITWISE_LEN = 3;
    public const ushort NFTA_BITWISE_MASK = 4;
    public const ushort NFTA_BITWISE_XOR = 5;
    public const ushort NFTA_BITWISE_OP = 6;
    public const uint NFT_BITWISE_BOOL = 0;

    // immediate: enum nft_immediate_attributes
    public const ushort NFTA_IMMEDIATE_DREG = 1;
    public const ushort NFTA_IMMEDIATE_DATA = 2;

    // counter: enum nft_counter_attributes
    public const ushort NFTA_COUNTER_BYTES = 1;
    public const ushort NFTA_COUNTER_PACKETS = 2;

    // reject: enum nft_reject_attributes, nft_reject_types, nft_reject_inet_code
    public const ushort NFTA_REJECT_TYPE = 1;
    public const ushort NFTA_REJECT_ICMP_CODE = 2;
    public const uint NFT_REJECT_ICMP_UNREACH = 0;
    public const uint NFT_REJECT_TCP_RST = 1;
    public const uint NFT_REJECT_ICMPX_UNREACH = 2;
    public const byte NFT_REJECT_ICMPX_NO_ROUTE = 0;
    public const byte NFT_REJECT_ICMPX_PORT_UNREACH = 1;
    public const byte NFT_REJECT_ICMPX_HOST_UNREACH = 2;
    public const byte NFT_REJECT_ICMPX_ADMIN_PROHIBITED = 3;

    // ct: enum nft_ct_attributes, nft_ct_keys; state bits NF_CT_STATE_BIT(ctinfo) (nf_conntrack_common.h)
    public const ushort NFTA_CT_DREG = 1;
    public const ushort NFTA_CT_KEY = 2;
    public const ushort NFTA_CT_DIRECTION = 3;
    public const ushort NFTA_CT_SREG = 4;
    public const uint NFT_CT_STATE = 0;
    public const uint NFT_CT_MARK = 3;
    public const uint NF_CT_STATE_INVALID_BIT = 1 << 0;
    public const uint NF_CT_STATE_ESTABLISHED_BIT = 1 << 1; // NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
    public const uint NF_CT_STATE_RELATED_BIT = 1 << 2;     // NF_CT_STATE_BIT(IP_CT_RELATED)
    public const uint NF_CT_STATE_NEW_BIT = 1 << 3;         // NF_CT_STATE_BIT(IP_CT_NEW)
    public const uint NF_CT_STATE_UNTRACKED_BIT = 1 << 6;

    // nat: enum nft_nat_attributes, nft_nat_types; linux/netfilter/nf_nat.h range flags
    public const ushort NFTA_NAT_TYPE = 1;
    public const ushort NFTA_NAT_FAMILY = 2;
    public const ushort NFTA_NAT_REG_ADDR_MIN = 3;
    public const ushort NFTA_NAT_REG_ADDR_MAX = 4;
    public const ushort NFTA_NAT_REG_PROTO_MIN = 5;
    public const ushort NFTA_NAT_REG_PROTO_MAX = 6;
    public const ushort NFTA_NAT_FLAGS = 7;
    public const uint NFT_NAT_SNAT = 0;
    public const uint NFT_NAT_DNAT = 1;
    public const uint NF_NAT_RANGE_MAP_IPS = 1 << 0;
    public const uint NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;

    // masq: enum nft_masq_attributes
    public const ushort NFTA_MASQ_FLAGS = 1;
    public const ushort NFTA_MASQ_REG_PROTO_MIN = 2;
    public const ushort NFTA_MASQ_REG_PROTO_MAX = 3;

    // The family header of every nfnetlink message.
    [StructLayout(LayoutKind.Sequential)]
    public struct nfgenmsg
    {
        public byte nfgen_family;
        public byte version;
        public ushort res_id;
    }

    /// <summary>The nlmsg_type of an nf_tables message: subsystem in the high byte, NFT_MSG_* in the low.</summary>
    public static ushort NftMessageType(ushort message) => (ushort)((NFNL_SUBSYS_NFTABLES << 8) | message);
}
