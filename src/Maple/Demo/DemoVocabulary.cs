using System.Text;
using System.Text.Json;
using Maple.Tokenization;

namespace Maple.Demo;

/// <summary>
/// A small byte-level BPE vocabulary in CLIP's format, learned from the demo's own words: the 256 byte
/// symbols, the same 256 ending a word (<c>&lt;/w&gt;</c>), one token per merge, and
/// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> last, as in CLIP's. Merges are learned
/// the usual way (most frequent adjacent pair first, ties in ordinal order) until every word is one
/// token, so <see cref="ClipTokenizer"/> encodes each demo word as a single id and any other text
/// as smaller pieces, down to bytes.
/// </summary>
public sealed class DemoVocabulary
{
    const string EndOfWord = "</w>";

    DemoVocabulary(IReadOnlyList<string> words, IReadOnlyList<(string Left, string Right)> merges)
    {
        Words = words;
        Merges = merges;
        var symbols = ByteLevelAlphabet.SymbolsInVocabularyOrder.Select(c => c.ToString()).ToList();
        Tokens = [.. symbols, .. symbols.Select(s => s + EndOfWord), .. merges.Select(m => m.Left + m.Right), "<|startoftext|>", "<|endoftext|>"];
        // Two merges can spell the same token ("ab c" and "a bc"); the vocabulary lists it once.
        Tokens = Tokens.Distinct().ToList();
    }

    /// <summary>The words the merges were learned from, sorted.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Every token, index = id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of tokens: the text encoder's vocabulary size.</summary>
    public int Size => Tokens.Count;

    /// <summary>The vocabulary of the default world's class names and captions.</summary>
    public static DemoVocabulary ForWorld(DemoWorld world) =>
        Build(world.Classes.SelectMany(c => c.Name.Split(' ')).Concat(DemoCaptions.Words));

    /// <summary>Learns merges until each of <paramref name="words"/> (lower-case ASCII letters) is one token.</summary>
    public static DemoVocabulary Build(IEnumerable<string> words)
    {
        var distinct = words.Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        if (distinct.Any(w => !w.All(char.IsAsciiLetterLower)))
            throw new ArgumentException("demo words must be lower-case ASCII letters");

        // Each word as symbols, its last letter carrying the end-of-word mark (as CLIP's BPE splits it).
        var pieces = distinct.Select(w => w.Select(c => c.ToString()).ToList()).ToList();
        foreach (var p in pieces)
            p[^1] += EndOfWord;

        var merges = new List<(string, string)>();
        while (true)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var p in pieces)
            {
                for (var i = 0; i + 1 < p.Count; i++)
                    counts[(p[i], p[i + 1])] = counts.GetValueOrDefault((p[i], p[i + 1])) + 1;
            }
            if (counts.Count == 0)
                break;
            var best = counts.OrderByDescending(c => c.Value)
                .ThenBy(c => c.Key.Item1, StringComparer.Ordinal)
                .ThenBy(c => c.Key.Item2, StringComparer.Ordinal)
                .First().Key;
            merges.Add(best);
            foreach (var p in pieces)
            {
                for (var i = 0; i + 1 < p.Count; i++)
                {
                    if (p[i] == best.Item1 && p[i + 1] == best.Item2)
                    {
                        p[i] += p[i + 1];
                        p.RemoveAt(i + 1);
                    }
                }
            }
        }
        return new DemoVocabulary(distinct, merges);
    }

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="folder"/>, atomically.</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocabulary = new Dictionary<string, int>();
        for (var id = 0; id < Tokens.Count; id++)
            vocabulary.Add(Tokens[id], id);
        AtomicFile.WriteText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocabulary));
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in Merges)
            merges.Append(left).Append(' ').Append(right).Append('\n');
        AtomicFile.WriteText(Path.Combine(folder, "merges.txt"), merges.ToString());
    }
}
