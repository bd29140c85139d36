using System.Text.Json;
using System.Text.RegularExpressions;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Bench;

/// <summary>
/// Class names and prompt token ids of realistic length: "a photo of a {class}." with classes of one
/// to three words, so that the end of text falls at positions 7 to 9, as for ImageNet's classes.
/// </summary>
public static partial class ClassPrompts
{
    // CLIP vocabulary ids of the fixed prompt "a photo of a ... ." (the same in every CLIP).
    const long A = 320, Photo = 1125, Of = 539, Period = 269;

    /// <summary>Words per class name: 1, 2, 3, 1, 2, 3, ...</summary>
    public static int WordsOf(int classIndex) => 1 + classIndex % 3;

    /// <summary>
    /// <paramref name="count"/> class names made of common English words from the tokenizer's
    /// vocabulary, each word a single BPE token, so prompts have the lengths of real ones.
    /// </summary>
    public static IReadOnlyList<string> Names(string tokenizerFolder, int count)
    {
        var tokenizer = ClipTokenizer.FromDirectory(tokenizerFolder);
        using var stream = File.OpenRead(Path.Combine(tokenizerFolder, "vocab.json"));
        var vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(stream)!;
        var needed = Enumerable.Range(0, count).Sum(WordsOf);
        // Ids past the first few thousand skip fragments; below 40,000 they are still ordinary words.
        var words = vocabulary
            .Where(p => p.Value is >= 2000 and < 40000 && WholeWord().IsMatch(p.Key))
            .OrderBy(p => p.Value)
            .Select(p => p.Key[..^"</w>".Length])
            .Where(word => tokenizer.Encode(word).Count == 1)
            .Take(needed)
            .ToList();
        if (words.Count < needed)
            throw new InvalidDataException($"{tokenizerFolder}: only {words.Count} single-token words for {count} class names");
        var names = new List<string>(count);
        var next = 0;
        for (var i = 0; i < count; i++)
        {
            names.Add(string.Join(" ", words.Skip(next).Take(WordsOf(i))));
            next += WordsOf(i);
        }
        return names;
    }

    /// <summary>
    /// Token ids [count, context] of the prompts directly, without a tokenizer: start of text, "a photo
    /// of a", one to three word ids drawn from <paramref name="generator"/>, the period, end of text.
    /// </summary>
    public static Tensor TokenIds(int count, int contextLength, Generator generator)
    {
        var ids = new long[count * contextLength];
        for (var i = 0; i < count; i++)
        {
            long[] prefix = [ClipTokenizer.StartOfText, A, Photo, Of, A];
            var row = ids.AsSpan(i * contextLength, contextLength);
            prefix.CopyTo(row);
            var position = prefix.Length;
            for (var w = 0; w < WordsOf(i); w++)
                row[position++] = randint_long(2000, 40000, generator);
            row[position++] = Period;
            row[position] = ClipTokenizer.EndOfText;
        }
        return tensor(ids, [count, contextLength], ScalarType.Int64);
    }

    [GeneratedRegex("^[a-z]{4,9}</w>$")]
    private static partial Regex WholeWord();
}
