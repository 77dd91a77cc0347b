using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Isolated.Net.Analyzers.Tests;

// Every rule's help link lands on its README section, and every rule is a warning with a stable id.
public sealed partial class RuleDocumentationTests
{
    public static TheoryData<string> RuleIds => new(new IgnoredBuilderAnalyzer().SupportedDiagnostics
        .Concat(new NamespaceEscapeAnalyzer().SupportedDiagnostics)
        .Select(d => d.Id));

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_rule_links_to_its_README_section(string id)
    {
        var descriptor = new IgnoredBuilderAnalyzer().SupportedDiagnostics
            .Concat(new NamespaceEscapeAnalyzer().SupportedDiagnostics)
            .Single(d => d.Id == id);
        Assert.Matches("^ISONET[0-9]{3}$", id);
        Assert.Equal(DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
        var anchors = Headings().Matches(File.ReadAllText(Readme()))
            .Select(m => Anchor(m.Groups[1].Value))
            .ToList();
        var anchor = descriptor.HelpLinkUri[(descriptor.HelpLinkUri.IndexOf('#', StringComparison.Ordinal) + 1)..];
        Assert.StartsWith(id.ToLowerInvariant() + "-", anchor, StringComparison.Ordinal);
        Assert.Contains(anchor, anchors);
    }

    // GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'.
    private static string Anchor(string heading) =>
        string.Concat(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-');

    private static string Readme([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "../../README.md");

    [GeneratedRegex("^#{2,3} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Headings();
}
