using System.Runtime.CompilerServices;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Xunit.V3.Tests;

// The xUnit v3 counterparts of tests/Isolated.Net.Testing's [PrivilegedFact] and [ToolFact] (that project
// is built on xunit v2): skipped with the reason when privileges (unless required) or programs are missing.
public sealed class PrivilegedFactAttribute : FactAttribute
{
    private string? _tools;

    public PrivilegedFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) => Skip = Reason(null);

    // Programs the test runs besides the oracle's, separated by spaces.
    public string? Tools
    {
        get => _tools;
        set
        {
            _tools = value;
            Skip = Reason(value);
        }
    }

    private static string? Reason(string? tools) =>
        ExternalTools.PrivilegedSkipReason(tools);
}

public sealed class ToolFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
    : FactAttribute(sourceFilePath, sourceLineNumber)
{
    private string? _tools;

    // Programs the test runs, separated by spaces.
    public string? Tools
    {
        get => _tools;
        set
        {
            _tools = value;
            Skip = ExternalTools.SkipReason(value);
        }
    }
}
