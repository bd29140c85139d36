using System.Text;
using System.Text.RegularExpressions;

namespace Maple.Clip.Checkpoints;

/// <summary>What a TorchScript archive's code declares about one class, read as text (nothing is compiled).</summary>
/// <param name="IsModule">The class derives from <c>Module</c>, so its parameters and sub-modules belong to the state dict.</param>
/// <param name="Parameters">The attribute names in its <c>__parameters__</c> list.</param>
/// <param name="Buffers">The attribute names in its <c>__buffers__</c> list.</param>
/// <param name="RestoresStateWithCode">It defines <c>__setstate__</c>, which libtorch would run while loading.</param>
sealed record TorchScriptClass(bool IsModule, IReadOnlySet<string> Parameters, IReadOnlySet<string> Buffers, bool RestoresStateWithCode);

/// <summary>
/// The class declarations of a TorchScript archive, scanned from its <c>code/</c> records: the class
/// <c>__torch__.a.b.C</c> is declared in <c>code/__torch__/a/b.py</c>, as TorchScript's serializer writes it:
/// <code>
/// class C(Module):
///   __parameters__ = ["weight", "bias", ]
///   __buffers__ = ["running_mean", ]
///   weight : Tensor
///   def forward(self: __torch__.a.b.C, x: Tensor) -> Tensor: ...
/// </code>
/// Only the class headers, those two lists at the class body's indentation and the names of its methods are read.
/// </summary>
sealed partial class TorchScriptClasses(TorchZipFile archive)
{
    readonly Dictionary<string, Dictionary<string, TorchScriptClass>> files = new(StringComparer.Ordinal);

    /// <summary>The declaration of <paramref name="typeName"/> (<c>__torch__.a.b.C</c>).</summary>
    /// <exception cref="InvalidDataException">The archive's code does not declare it.</exception>
    public TorchScriptClass Find(string typeName)
    {
        var dot = typeName.LastIndexOf('.');
        var (module, name) = dot < 0 ? ("", typeName) : (typeName[..dot], typeName[(dot + 1)..]);
        var record = "code/" + module.Replace('.', '/') + ".py";
        if (!files.TryGetValue(module, out var classes))
        {
            var source = archive.ReadRecord(record);
            files[module] = classes = source is null ? [] : Parse(Encoding.UTF8.GetString(source));
        }
        return classes.TryGetValue(name, out var declaration)
            ? declaration
            : throw new InvalidDataException(
                $"{archive.Path}: its pickle uses the TorchScript class {typeName}, which its {record} record does not declare");
    }

    static Dictionary<string, TorchScriptClass> Parse(string source)
    {
        var classes = new Dictionary<string, TorchScriptClass>(StringComparer.Ordinal);
        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var header = ClassHeader().Match(lines[i]);
            if (!header.Success)
                continue;
            var parameters = new HashSet<string>(StringComparer.Ordinal);
            var buffers = new HashSet<string>(StringComparer.Ordinal);
            var restoresState = false;
            string? bodyIndent = null;
            for (; i + 1 < lines.Length && (lines[i + 1].Length == 0 || char.IsWhiteSpace(lines[i + 1][0])); i++)
            {
                var line = lines[i + 1].TrimEnd('\r');
                var content = line.TrimStart();
                if (content.Length == 0)
                    continue;
                var indent = line[..^content.Length];
                bodyIndent ??= indent;
                if (indent != bodyIndent)
                    continue; // inside a method
                if (content.StartsWith("def __setstate__(", StringComparison.Ordinal))
                    restoresState = true;
                var list = NameList().Match(content);
                if (!list.Success)
                    continue;
                // The list may continue over the following lines, up to its closing bracket.
                var text = new StringBuilder(content[list.Length..]);
                for (var closed = content.Contains(']'); !closed && i + 2 < lines.Length;)
                {
                    var next = lines[++i + 1];
                    text.Append(next);
                    closed = next.Contains(']');
                }
                var names = list.Groups[1].Value == "__parameters__" ? parameters : buffers;
                foreach (Match literal in StringLiteral().Matches(text.ToString()))
                    names.Add(literal.Groups[1].Success ? literal.Groups[1].Value : literal.Groups[2].Value);
            }
            classes[header.Groups[1].Value] = new TorchScriptClass(header.Groups[2].Value == "Module", parameters, buffers, restoresState);
        }
        return classes;
    }

    [GeneratedRegex(@"^class\s+(\w+)\s*(?:\(\s*(\w*)\s*\))?\s*:")]
    private static partial Regex ClassHeader();

    [GeneratedRegex(@"^(__parameters__|__buffers__)\s*=\s*\[")]
    private static partial Regex NameList();

    [GeneratedRegex("\"([^\"\\\\]*)\"|'([^'\\\\]*)'")]
    private static partial Regex StringLiteral();
}
