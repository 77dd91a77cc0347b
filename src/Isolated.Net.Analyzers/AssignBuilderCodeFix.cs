using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Isolated.Net.Analyzers;

/// <summary>
/// ISONET001 fix: <c>builder.AddHost("a");</c> becomes <c>builder = builder.AddHost("a");</c> when the chain
/// starts at a variable, parameter, field or settable property of the builder's type.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AssignBuilderCodeFix)), Shared]
public sealed class AssignBuilderCodeFix() : SingleRuleCodeFix(Rules.IgnoredBuilderId)
{
    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null
            || root.FindNode(context.Span, getInnermostNodeForTie: true) is not { } node
            || node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Expression: InvocationExpressionSyntax invocation } statement
            || AssignableStart(invocation, model, context.CancellationToken) is not { } target)
        {
            return;
        }
        var title = $"Assign the result to '{target}'";
        context.RegisterCodeFix(
            CodeAction.Create(title, ct => AssignAsync(context.Document, statement, invocation, target, ct), equivalenceKey: nameof(AssignBuilderCodeFix)),
            context.Diagnostics);
    }

    // The variable the call chain starts at, when assigning to it is possible.
    private static ExpressionSyntax? AssignableStart(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        ExpressionSyntax current = invocation;
        while (current is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access })
        {
            current = access.Expression;
        }
        if (current is not (IdentifierNameSyntax or MemberAccessExpressionSyntax)
            || !IgnoredBuilderAnalyzer.IsImmutableBuilder(model.GetTypeInfo(current, cancellationToken).Type))
        {
            return null;
        }
        bool assignable = model.GetSymbolInfo(current, cancellationToken).Symbol switch
        {
            ILocalSymbol local => !local.IsConst && !local.IsUsing && !local.IsForEach && local.RefKind is RefKind.None or RefKind.Ref,
            IParameterSymbol parameter => parameter.RefKind is RefKind.None or RefKind.Ref or RefKind.Out,
            IFieldSymbol field => !field.IsReadOnly && !field.IsConst,
            IPropertySymbol property => property.SetMethod is { IsInitOnly: false },
            _ => false,
        };
        return assignable ? current : null;
    }

    private static async Task<Document> AssignAsync(Document document, ExpressionStatementSyntax statement, InvocationExpressionSyntax invocation,
        ExpressionSyntax target, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var assignment = SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, target.WithoutTrivia(), invocation.WithoutLeadingTrivia())
            .WithLeadingTrivia(invocation.GetLeadingTrivia());
        return document.WithSyntaxRoot(root!.ReplaceNode(statement, statement.WithExpression(assignment)));
    }
}
