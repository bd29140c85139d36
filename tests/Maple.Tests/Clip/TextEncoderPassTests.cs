using Maple.Tests.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>How the text encoder splits many prompts into passes of the blocks.</summary>
public sealed class TextEncoderPassTests
{
    [Fact]
    public void HundredsOfPromptsOfMixedLengthsEncodeAsEachDoesAlone()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var maple = fixture.CreateMaple();
        var text = fixture.Clip.Config.Text;
        // 300 prompts (passes of at most 128, by length), end of text (the largest id) at rows 5 to 7, padding after it.
        const int count = 300;
        using var generator = new Generator(3);
        var ids = randint(1, text.VocabularySize - 2, [count, text.ContextLength], generator: generator);
        for (var i = 0; i < count; i++)
        {
            var endOfText = 5 + i % 3;
            ids[i, endOfText] = tensor((long)text.VocabularySize - 1);
            ids[i, (endOfText + 1)..] = tensor(0L);
        }
        var prompts = maple.Learner.TextPrompts();

        using var _ = no_grad();
        var together = fixture.Clip.EncodeText(ids, prompts);
        Assert.Equal([count, fixture.Clip.Config.EmbedDim], together.shape);
        foreach (var i in new[] { 0, 1, 2, 127, 128, 200, 257, 299 })
        {
            var alone = fixture.Clip.EncodeText(ids[i..(i + 1)], prompts);
            TensorAssert.RelativeClose(alone, together[i..(i + 1)], 1e-5, $"prompt {i}");
        }
        // Different prompts give different features: the rows are not one row repeated.
        Assert.True((together[0] - together[3]).abs().max().item<float>() > 1e-3);
    }
}
