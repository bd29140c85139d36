using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;

namespace Maple.Cli;

/// <summary>
/// Spellings of earlier releases that scripts may still use (<c>benchmark --out</c>, <c>zeroshot --images</c>,
/// <c>ood --id-classes</c>, ...). They keep working for one more release, out of the help, and each use prints a
/// one-line note on the error stream that names the spelling to use instead.
/// </summary>
static class DeprecatedSpellings
{
    static readonly ConditionalWeakTable<Option, Dictionary<string, string>> Replacements = [];

    /// <summary>Adds the old spelling <paramref name="old"/> to <paramref name="option"/>.</summary>
    public static T Alias<T>(T option, string old) where T : Option
    {
        option.Aliases.Add(old);
        Replacements.GetOrCreateValue(option)[old] = string.Join("/", option.Aliases.Where(a => a != old && !IsDeprecated(option, a)).Append(option.Name));
        return option;
    }

    /// <summary>
    /// An option that only takes the old spellings <paramref name="spellings"/> (several values per flag, as they
    /// did): hidden, for the command to merge with what replaces it, <paramref name="replacement"/>.
    /// </summary>
    public static Option<string[]> Hidden(string replacement, params string[] spellings)
    {
        var option = new Option<string[]>(spellings[0], spellings[1..]) { Hidden = true, AllowMultipleArgumentsPerToken = true };
        var map = Replacements.GetOrCreateValue(option);
        foreach (var spelling in spellings)
            map[spelling] = replacement;
        return option;
    }

    /// <summary>Whether <paramref name="spelling"/> is an old spelling of <paramref name="option"/>.</summary>
    public static bool IsDeprecated(Option option, string spelling) =>
        Replacements.TryGetValue(option, out var map) && map.ContainsKey(spelling);

    /// <summary>One note per old spelling on the command line.</summary>
    public static IEnumerable<string> Notes(ParseResult parse)
    {
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (result.IdentifierToken is { } token && Replacements.TryGetValue(result.Option, out var map) && map.TryGetValue(token.Value, out var replacement))
                yield return $"note: {token.Value} is deprecated and will be removed in the next release; use {replacement}";
        }
    }
}
