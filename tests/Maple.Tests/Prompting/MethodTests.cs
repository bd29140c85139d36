using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>Every method's prompt shapes, and that gradients reach exactly its parameters.</summary>
public sealed class MethodTests
{
    public static TheoryData<string> Methods => new(PromptMethods.Names);

    internal static PromptConfig SmallConfig(PromptMethod method) => method switch
    {
        PromptMethod.Maple => PromptConfig.Maple(2, 3),
        PromptMethod.CoOp => PromptConfig.CoOp(4),
        PromptMethod.CoCoOp => PromptConfig.CoCoOp(4),
        PromptMethod.DeepLanguage => PromptConfig.DeepLanguage(4, 3),
        PromptMethod.VptDeep => PromptConfig.VptDeep(8, 3),
        PromptMethod.Ivlp => PromptConfig.Ivlp(2, 2, 3, 3),
        PromptMethod.Mmrl => PromptConfig.Mmrl(tokens: 3, depth: 2, representationDim: 16),
        PromptMethod.PromptSrc => PromptConfig.PromptSrc(2, 2, 3),
        _ => PromptConfig.ZeroShot(),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void GradientsReachExactlyTheLearnableParameters(string name)
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var method = PromptMethods.Parse(name);
        using var learner = PromptLearners.Create(SmallConfig(method), fixture.Clip, fixture.Tokenizer, seed: 3);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);

        var images = fixture.Images(0)[..2];
        var logits = prompted.Logits(images);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        if (learner.Parameters.Count == 0)
        {
            Assert.Equal(PromptMethod.ZeroShot, method);
            return;
        }
        nn.functional.cross_entropy(logits, fixture.Labels(0)[..2]).backward();

        foreach (var (paramName, parameter) in learner.Parameters)
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"{name}: no gradient reaches {paramName}");
        }
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void PromptShapesFollowTheConfig()
    {
        using var fixture = new TinyMapleCase();
        var (text, vision) = (fixture.Clip.Config.Text.Width, fixture.Clip.Config.Vision.Width);

        using var maple = PromptLearners.Create(PromptConfig.Maple(2, 3), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal(3, maple.TextPrompts()!.Depth);
        Assert.Equal(new long[] { 2, vision }, maple.VisionPrompts()!.At(2)!.shape);
        Assert.Equal(["prompt_learner.ctx", "prompt_learner.proj.weight", "prompt_learner.proj.bias",
            "prompt_learner.compound_prompts_text.0", "prompt_learner.compound_prompts_text.1",
            "prompt_learner.compound_prompt_projections.0.weight", "prompt_learner.compound_prompt_projections.0.bias",
            "prompt_learner.compound_prompt_projections.1.weight", "prompt_learner.compound_prompt_projections.1.bias"],
            maple.Parameters.Select(p => p.Name));
        // The coupling layers for k >= 1 start as copies of one layer.
        Assert.True(maple.StateDict()["prompt_learner.compound_prompt_projections.0.weight"]
            .equal(maple.StateDict()["prompt_learner.compound_prompt_projections.1.weight"]).all().item<bool>());

        using var coop = PromptLearners.Create(PromptConfig.CoOp(16), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal("X X X X X X X X X X X X X X X X", coop.PromptPrefix);
        Assert.Null(coop.VisionPrompts());
        Assert.Equal(new long[] { 16, text }, coop.TextPrompts()!.Input.shape);

        using var coopInit = PromptLearners.Create(PromptConfig.CoOp(16, "a photo of a"), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal(4, coopInit.Config.TextTokens); // CoOp sizes its context by the init words

        using var vpt = PromptLearners.Create(PromptConfig.VptDeep(8, 3), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal("a photo of a goldfish.", vpt.PromptTexts(["goldfish"])[0]);
        Assert.Null(vpt.TextPrompts());
        Assert.Equal(3, vpt.VisionPrompts()!.Depth);

        using var ivlp = PromptLearners.Create(PromptConfig.Ivlp(2, 2, 3, 3), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Contains(ivlp.Parameters, p => p.Name == "text_encoder.transformer.resblocks.2.VPT_shallow");
        Assert.Contains(ivlp.Parameters, p => p.Name == "image_encoder.VPT");
    }

    [Fact]
    public void MapleKeepsTheInitWordsBeyondNCtxAndLearnsTheFirstTokens()
    {
        using var fixture = new TinyMapleCase();
        using var maple = PromptLearners.Create(PromptConfig.Maple(2, 3, "a_photo of a"), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal("a photo of a", maple.PromptPrefix);
        using var ids = fixture.Tokenizer.Tokenize(["a photo"]);
        using var embedded = fixture.Clip.Text.Embed(ids);
        Assert.True(embedded[0, 1..3].equal(maple.StateDict()["prompt_learner.ctx"]).all().item<bool>());

        using var random = PromptLearners.Create(PromptConfig.Maple(5, 3, "a photo of a"), fixture.Clip, fixture.Tokenizer, 1);
        Assert.Equal("X X X X X", random.PromptPrefix); // init words only for n_ctx <= 4
    }

    [Fact]
    public void Bf16AgreesWithFp32()
    {
        using var scope = NewDisposeScope();
        using var fp32 = new TinyMapleCase(Precision.Fp32);
        using var bf16 = new TinyMapleCase(Precision.Bf16);
        using var mapleFp32 = fp32.CreateMaple();
        using var mapleBf16 = bf16.CreateMaple();
        using var _ = no_grad();
        var images = fp32.Images(0);
        var expected = mapleFp32.Logits(images);
        var got = mapleBf16.Logits(images);

        Assert.True(expected.argmax(1).equal(got.argmax(1)).all().item<bool>());
        // Documented in the README: on this fixture bf16 logits stay within 3% of the largest fp32 logit.
        TensorAssert.RelativeClose(expected, got, 0.03, "bf16 logits");
    }

    [Fact]
    public void BadCheckpointsAndClassListsGiveSpecificErrors()
    {
        using var fixture = new TinyMapleCase();
        using var maple = PromptLearners.Create(PromptConfig.Maple(2, 3), fixture.Clip, fixture.Tokenizer, 1);

        var wrongWidth = new Dictionary<string, Tensor>(fixture.Init) { ["prompt_learner.ctx"] = zeros(2, 512) };
        var error = Assert.Throws<InvalidDataException>(() => maple.LoadStateDict(wrongWidth, "other.safetensors"));
        Assert.Contains("other.safetensors", error.Message);
        Assert.Contains("[2, 512]", error.Message);

        using var shallower = PromptLearners.Create(PromptConfig.Maple(2, 2), fixture.Clip, fixture.Tokenizer, 1);
        error = Assert.Throws<InvalidDataException>(() => shallower.LoadStateDict(fixture.Init, "init.safetensors"));
        Assert.Contains("unexpected: ", error.Message);
        Assert.Contains("prompt_learner.compound_prompts_text.1", error.Message);

        var tooDeep = Assert.Throws<UserInputException>(() => PromptLearners.Create(PromptConfig.Maple(2, 9), fixture.Clip, fixture.Tokenizer, 1));
        Assert.Contains("depth 9", tooDeep.Message);

        Assert.Throws<UserInputException>(() => new PromptedClip(fixture.Clip, maple, fixture.Tokenizer, []));
    }
}
