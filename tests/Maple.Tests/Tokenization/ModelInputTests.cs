using System.Text.Json;
using Maple.Tokenization;
using TorchSharp;

namespace Maple.Tests.Tokenization;

/// <summary>Start, end, padding and truncation of the text encoder's input.</summary>
public sealed class ModelInputTests
{
    static ClipTokenizer Tokenizer => ClipTokenizer.FromDirectory(Fixtures.Tokenizer);

    // "a photo of a cat." from the reference vectors: "a photo of a" is a case of its own, "cat</w>"
    // ends "tabby cat" and ".</w>" ends "a photo of a tench.".
    static readonly int[] PhotoOfACat = [320, 1125, 539, 320, 2368, 269];

    // 'x</w>': every "x" separated by spaces is one token.
    const int X = 343;

    static string Words(int count) => string.Join(' ', Enumerable.Repeat("x", count));

    [Fact]
    public void StartIdsEndThenZeros()
    {
        Assert.Equal(PhotoOfACat, Tokenizer.Encode("a photo of a cat."));

        var row = Tokenizer.EncodeForModel("a photo of a cat.");

        Assert.Equal(ClipTokenizer.DefaultContextLength, row.Length);
        Assert.Equal(77, row.Length);
        Assert.Equal(ClipTokenizer.StartOfText, row[0]);
        Assert.Equal(PhotoOfACat.Select(i => (long)i), row[1..7]);
        Assert.Equal(ClipTokenizer.EndOfText, row[7]);
        Assert.All(row[8..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void EmptyTextIsStartAndEnd()
    {
        var row = Tokenizer.EncodeForModel("   ");
        Assert.Equal([ClipTokenizer.StartOfText, ClipTokenizer.EndOfText], row[..2]);
        Assert.All(row[2..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void PromptFillingTheContextExactlyFits()
    {
        var row = Tokenizer.EncodeForModel(Words(75));
        Assert.Equal(ClipTokenizer.StartOfText, row[0]);
        Assert.All(row[1..76], id => Assert.Equal(X, id));
        Assert.Equal(ClipTokenizer.EndOfText, row[76]);
    }

    [Fact]
    public void TooLongPromptIsAnErrorNamingTextCountAndLimit()
    {
        var text = Words(76);

        var error = Assert.Throws<PromptTooLongException>(() => Tokenizer.EncodeForModel(text));

        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Equal(text, error.Text);
        Assert.Equal(78, error.TokenCount);
        Assert.Equal(77, error.ContextLength);
        Assert.Contains($"\"{text}\"", error.Message);
        Assert.Contains("78 tokens", error.Message);
        Assert.Contains("77", error.Message);
        Assert.Throws<PromptTooLongException>(() => Tokenizer.EncodeForModel("a photo of a cat.", contextLength: 7));
    }

    [Fact]
    public void TruncationKeepsTheFirstTokensAndEndsWithEndOfText()
    {
        var text = "a photo of a cat. " + Words(100);

        var row = Tokenizer.EncodeForModel(text, truncate: true);

        Assert.Equal(77, row.Length);
        Assert.Equal(ClipTokenizer.StartOfText, row[0]);
        Assert.Equal(PhotoOfACat.Select(i => (long)i), row[1..7]);
        Assert.All(row[7..76], id => Assert.Equal(X, id));
        Assert.Equal(ClipTokenizer.EndOfText, row[76]);

        var shortRow = Tokenizer.EncodeForModel("a photo of a cat.", contextLength: 4, truncate: true);
        Assert.Equal([ClipTokenizer.StartOfText, 320, 1125, ClipTokenizer.EndOfText], shortRow);
    }

    [Fact]
    public void ContextMustHoldStartAndEnd()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeForModel("a", contextLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Tokenize(["a"], contextLength: 1));
    }

    [Fact]
    public void TokenizeGivesInt64RowsWhoseArgmaxIsTheEnd()
    {
        string[] texts = ["a photo of a cat.", "tench", "", "a photo of a great white shark, a kind of fish."];

        using var tokens = Tokenizer.Tokenize(texts);

        Assert.Equal(torch.int64, tokens.dtype);
        Assert.Equal([4L, 77L], tokens.shape);
        using var argmax = tokens.argmax(1);
        for (var i = 0; i < texts.Length; i++)
        {
            var expected = Tokenizer.EncodeForModel(texts[i]);
            Assert.Equal(expected, tokens[i].data<long>().ToArray());
            Assert.Equal(Tokenizer.Encode(texts[i]).Count + 1, argmax[i].item<long>());
        }
    }

    [Fact]
    public void TokenizeOfNothingIsEmpty()
    {
        using var tokens = Tokenizer.Tokenize([]);
        Assert.Equal([0L, 77L], tokens.shape);
    }

    [Fact]
    public void TokenizeMatchesTheTinyMapleReference()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.TinyMaple, "expected.json")));
        var prompts = json.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var expected = json.RootElement.GetProperty("token_ids").EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(id => id.GetInt64())).ToArray();
        var eot = json.RootElement.GetProperty("eot_index").EnumerateArray().Select(i => i.GetInt64()).ToArray();

        using var tokens = ClipTokenizer.FromDirectory(Fixtures.TinyMapleModel).Tokenize(prompts);
        using var argmax = tokens.argmax(1);

        Assert.Equal(expected, tokens.data<long>().ToArray());
        Assert.Equal(eot, argmax.data<long>().ToArray());
    }

    [Fact]
    public void DecodeWritesAWordPerEndOfWord()
    {
        Assert.Equal("a photo of a cat . ", Tokenizer.Decode(Tokenizer.Encode("A photo of a CAT.")));
        Assert.Equal("naïve 😀 東京 ", Tokenizer.Decode(Tokenizer.Encode("naïve 😀 東京")));
        Assert.Equal("<|startoftext|>a <|endoftext|>", Tokenizer.Decode([ClipTokenizer.StartOfText, 320, ClipTokenizer.EndOfText]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([49408]));
    }
}
