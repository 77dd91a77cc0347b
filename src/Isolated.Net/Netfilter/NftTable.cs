namespace Isolated.Net.Netfilter;

// Puts a ruleset into a namespace and takes it out again. Each call is one transaction on a socket
// opened for it inside the namespace (socket, bind and close cost microseconds; a namespace whose
// table changes often could keep one open).
internal static class NftTable
{
    // Equivalent to: nft -f - <<< 'table inet T; delete table inet T; table inet T { ...chains and rules... }'
    /// <summary>
    /// Makes <paramref name="ruleset"/>'s table in <paramref name="ns"/> hold exactly that ruleset,
    /// replacing what it held, atomically: packets see the old rules or the new ones, never a mix.
    /// Validated before anything is sent.
    /// </summary>
    public static void Apply(NetworkNamespace ns, NftRuleset ruleset)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(ruleset);
        var messages = ruleset.ApplyMessages();
        using var socket = NetfilterSocket.Open(ns);
        socket.Execute(messages);
    }

    // Equivalent to: nft -f - <<< 'table inet T; delete table inet T'
    /// <summary>Deletes the table and everything in it; nothing happens when it does not exist.</summary>
    public static void Clear(NetworkNamespace ns, string table = NftRuleset.DefaultTable)
    {
        ArgumentNullException.ThrowIfNull(ns);
        using var socket = NetfilterSocket.Open(ns);
        socket.Execute(NftRuleset.ClearMessages(table));
    }
}
