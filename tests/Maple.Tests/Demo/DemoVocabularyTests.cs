using Maple.Demo;
using Maple.Tokenization;

namespace Maple.Tests.Demo;

public sealed class DemoVocabularyTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("maple-demo-vocab-").FullName;
    readonly DemoVocabulary _vocabulary = DemoVocabulary.ForWorld(DemoWorld.Default);
    readonly ClipTokenizer _tokenizer;

    public DemoVocabularyTests()
    {
        _vocabulary.Write(_temp);
        _tokenizer = ClipTokenizer.FromDirectory(_temp);
    }

    [Fact]
    public void LoadsAsASmallClipVocabularyWithTheSpecialTokensLast()
    {
        Assert.Equal(_vocabulary.Size, _tokenizer.VocabularySize);
        Assert.InRange(_tokenizer.VocabularySize, 513, 2000);
        Assert.Equal(_tokenizer.VocabularySize - 2, _tokenizer.StartOfTextId);
        Assert.Equal(_tokenizer.VocabularySize - 1, _tokenizer.EndOfTextId);
    }

    [Fact]
    public void EveryDemoWordIsOneToken()
    {
        foreach (var word in _vocabulary.Words)
        {
            var ids = _tokenizer.Encode(word);
            Assert.True(ids.Count == 1, $"'{word}' encodes to {ids.Count} tokens");
            Assert.Equal(word + "</w>", _vocabulary.Tokens[ids[0]]);
        }
    }

    [Fact]
    public void CaptionsAndPromptsRoundTrip()
    {
        foreach (var text in new[] { "a photo of a red star.", "a photo of a purple heart, a shape drawn in one colour on a plain background, with nothing else in it.", "X X X X green cross." })
        {
            var ids = _tokenizer.Encode(text);
            var expected = string.Join(" ", text.ToLowerInvariant().Replace(".", " .").Replace(",", " ,").Split(' ', StringSplitOptions.RemoveEmptyEntries)) + " ";
            Assert.Equal(expected, _tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void UnknownWordsFallBackToSmallerPieces()
    {
        var ids = _tokenizer.Encode("zebra");

        Assert.True(ids.Count > 1);
        Assert.Equal("zebra ", _tokenizer.Decode(ids));
    }

    [Fact]
    public void ModelInputStartsAndEndsWithTheSpecialTokens()
    {
        var row = _tokenizer.EncodeForModel("a red star.", 16);

        Assert.Equal([_tokenizer.StartOfTextId, .. _tokenizer.Encode("a red star.").Select(i => (long)i), _tokenizer.EndOfTextId], row[..6]);
        Assert.All(row[6..], id => Assert.Equal(0, id));
        // The text encoder reads out at the row's highest id: the end of text.
        Assert.Equal(5, Array.IndexOf(row, row.Max()));
    }

    [Fact]
    public void MergesAreWrittenInClipsFormat()
    {
        var lines = File.ReadAllLines(Path.Combine(_temp, "merges.txt"));

        Assert.Equal("#version: 0.2", lines[0]);
        Assert.Equal(_vocabulary.Merges.Count, lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.Single(l, ' '));
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);
}
