using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace Isolated.Net.Analyzers;

/// <summary>
/// ISONET004 fix: <c>new HttpClient()</c> becomes <c>ns.CreateHttpClient()</c> (and a handler
/// <c>ns.CreateHttpMessageHandler()</c>) when the namespace or host the body runs in is known.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseNamespaceFactoryCodeFix)), Shared]
public sealed class UseNamespaceFactoryCodeFix() : SingleRuleCodeFix(Rules.RootHttpClientId)
{
    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var diagnostic = context.Diagnostics.First();
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not BaseObjectCreationExpressionSyntax creation
            || !diagnostic.Properties.TryGetValue(NamespaceEscapeAnalyzer.ReceiverProperty, out var receiver) || receiver is null
            || !diagnostic.Properties.TryGetValue(NamespaceEscapeAnalyzer.FactoryProperty, out var factory) || factory is null)
        {
            return;
        }
        var replacement = $"{receiver}.{factory}()";
        context.RegisterCodeFix(
            CodeAction.Create($"Use {replacement}", ct => ReplaceAsync(context.Document, creation, replacement, ct), equivalenceKey: nameof(UseNamespaceFactoryCodeFix)),
            diagnostic);
    }

    private static async Task<Document> ReplaceAsync(Document document, BaseObjectCreationExpressionSyntax creation, string replacement, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var call = SyntaxFactory.ParseExpression(replacement).WithTriviaFrom(creation).WithAdditionalAnnotations(Simplifier.Annotation);
        return document.WithSyntaxRoot(root!.ReplaceNode(creation, call));
    }
}
