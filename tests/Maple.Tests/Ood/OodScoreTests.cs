using Maple.Clip;
using Maple.Clip.Modules;
using Maple.Evaluation.Ood;
using Maple.Prompting;
using Maple.Tests.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Ood;

/// <summary>The OOD scores on the tiny fixture model, against values computed by hand from its features and weights.</summary>
public sealed class OodScoreTests
{
    const double Tolerance = 1e-5;

    [Fact]
    public void ScoresMatchHandComputationsFromTheFeatures()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var learner = PromptLearners.Create(PromptConfig.ZeroShot(), fixture.Clip, fixture.Tokenizer, seed: 0);
        using var model = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        var images = fixture.Images(0);
        using var _ = no_grad();

        var image = fixture.Clip.EncodeImage(images).to(ScalarType.Float64);
        var text = fixture.Clip.EncodeText(model.TokenIds).to(ScalarType.Float64);
        var cosines = Cosines(image, text);
        var scale = Math.Exp(fixture.Clip.LogitScale.item<float>());
        var (got, _) = model.Cosines(images);
        var logitScale = fixture.Clip.LogitScale;

        foreach (var temperature in new[] { 1.0, 0.1 })
        {
            var mcm = cosines.Select(row => Softmax(row, temperature).Max()).ToArray();
            AssertClose(mcm, OodScoring.Compute(new OodScoreOptions(OodScore.Mcm, temperature), got, null, logitScale));

            var energy = cosines.Select(row => temperature * LogSumExp(row.Select(c => scale * c / temperature).ToArray())).ToArray();
            AssertClose(energy, OodScoring.Compute(new OodScoreOptions(OodScore.Energy, temperature), got, null, logitScale));
        }
        var maxLogit = cosines.Select(row => scale * row.Max()).ToArray();
        AssertClose(maxLogit, OodScoring.Compute(new OodScoreOptions(OodScore.MaxLogit), got, null, logitScale));
    }

    [Fact]
    public void LocalFeaturesFollowTheValuePathOfTheLastBlock()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var _ = no_grad();
        var images = fixture.Images(0);
        var (global, local) = fixture.Clip.EncodeImageWithLocal(images);

        Assert.True(global.equal(fixture.Clip.EncodeImage(images)).all().item<bool>(), "global features differ from EncodeImage");
        Assert.Equal(new long[] { 4, 49, 64 }, local.shape); // 224 / 32 = 7 × 7 patches, embed 64
        TensorAssert.RelativeClose(HandLocalFeatures(fixture.Clip, images, null), local, 1e-5, "local features");
    }

    [Fact]
    public void LocalFeaturesUnderDeepVisionPromptsSkipThePromptTokens()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var model = fixture.CreateMaple();
        using var _ = no_grad();
        var images = fixture.Images(1);
        var prompts = model.Learner.VisionPrompts()!;
        var (global, local) = fixture.Clip.EncodeImageWithLocal(images, prompts);

        Assert.True(global.equal(fixture.Clip.EncodeImage(images, prompts)).all().item<bool>(), "global features differ from EncodeImage");
        TensorAssert.RelativeClose(HandLocalFeatures(fixture.Clip, images, prompts), local, 1e-5, "prompted local features");
    }

    [Fact]
    public void GlMcmAddsTheLocalMaximumOfPatchSoftmaxes()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var model = fixture.CreateMaple();
        using var _ = no_grad();
        var images = fixture.Images(2);

        var text = model.TextFeatures().to(ScalarType.Float64);
        var image = model.ImageFeatures(images).to(ScalarType.Float64);
        var patches = HandLocalFeatures(fixture.Clip, images, model.Learner.VisionPrompts()).to(ScalarType.Float64);
        var cosines = Cosines(image, text);
        var (got, gotLocal) = model.Cosines(images, withLocal: true);
        Assert.Equal(new long[] { 4, 49, 10 }, gotLocal!.shape);

        foreach (var (temperature, lambda) in new[] { (1.0, 0.5), (0.2, 1.0) })
        {
            var expected = new double[4];
            for (var i = 0; i < 4; i++)
            {
                var localCosines = Cosines(patches[i], text);
                var localMax = localCosines.Max(row => Softmax(row, temperature).Max());
                expected[i] = Softmax(cosines[i], temperature).Max() + lambda * localMax;
            }
            AssertClose(expected, OodScoring.Compute(new OodScoreOptions(OodScore.GlMcm, temperature, lambda), got, gotLocal, fixture.Clip.LogitScale));
        }
    }

    [Fact]
    public void ImageConditionedCosinesMatchTheLogits()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var learner = PromptLearners.Create(PromptConfig.CoCoOp(4), fixture.Clip, fixture.Tokenizer, seed: 2);
        using var model = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var _ = no_grad();
        var images = fixture.Images(0)[..2];

        var (logits, localLogits) = model.LogitsWithLocal(images);
        TensorAssert.RelativeClose(model.Logits(images), logits, 1e-6, "CoCoOp logits");
        Assert.Equal(new long[] { 2, 49, 10 }, localLogits.shape);
        Assert.True(localLogits.isfinite().all().item<bool>());
    }

    [Fact]
    public void ScoreNamesAndOptionsAreChecked()
    {
        Assert.Equal(OodScore.GlMcm, OodScores.Parse("GLMCM"));
        Assert.Equal("maxlogit", OodScores.Name(OodScore.MaxLogit));
        Assert.Throws<UserInputException>(() => OodScores.Parse("msp"));
        Assert.Throws<InvalidSettingException>(() => new OodScoreOptions(Temperature: 0).Validate());
        Assert.Throws<InvalidSettingException>(() => new OodScoreOptions(Lambda: -1).Validate());
    }

    /// <summary>
    /// GL-MCM's local features written out from the weights: the encoder up to the last block's input, then
    /// that block with attention replaced by each token's own value (ln_1, value rows of in_proj, out_proj,
    /// residual, MLP), ln_post and the projection, at the patch positions.
    /// </summary>
    static Tensor HandLocalFeatures(ClipModel clip, Tensor images, LayerPrompts? prompts)
    {
        var visual = clip.Visual;
        var width = visual.Config.Width;
        var eps = visual.Config.LayerNormEps;
        var x = nn.functional.conv2d(images, visual.PatchEmbedding, null, [visual.Config.PatchSize, visual.Config.PatchSize]);
        x = x.flatten(2).transpose(1, 2);
        x = cat([visual.ClassEmbedding.expand(x.shape[0], 1, -1), x], 1) + visual.PositionalEmbedding;
        if (prompts is not null)
            x = cat([x, prompts.Input.unsqueeze(0).expand(x.shape[0], -1, -1)], 1);
        x = LayerNorm(x, visual.PreNorm, eps);
        var blocks = visual.Transformer.Blocks;
        for (var layer = 0; layer < blocks.Count - 1; layer++)
        {
            if (layer > 0 && prompts?.At(layer) is { } tokens)
                x = PromptedTransformer.Replace(x, tokens, PromptSlot.AtEnd);
            x = blocks[layer].forward(x);
        }
        if (prompts?.At(blocks.Count - 1) is { } last)
            x = PromptedTransformer.Replace(x, last, PromptSlot.AtEnd);

        var block = blocks[^1];
        var inProj = block.Attention.InProj;
        var valueWeight = inProj.Weight.narrow(0, 2 * width, width);
        var valueBias = inProj.Bias!.narrow(0, 2 * width, width);
        var value = LayerNorm(x, block.Norm1, eps).matmul(valueWeight.t()) + valueBias;
        var y = x + value.matmul(block.Attention.OutProj.Weight.t()) + block.Attention.OutProj.Bias!;
        var hidden = LayerNorm(y, block.Norm2, eps).matmul(block.Mlp.Fc.Weight.t()) + block.Mlp.Fc.Bias!;
        hidden = hidden * sigmoid(1.702 * hidden);
        y = y + hidden.matmul(block.Mlp.Proj.Weight.t()) + block.Mlp.Proj.Bias!;

        var patches = y.narrow(1, 1, visual.Config.GridSize * visual.Config.GridSize);
        return LayerNorm(patches, visual.PostNorm, eps).matmul(visual.Projection.Weight.t());
    }

    static Tensor LayerNorm(Tensor x, FrozenLayerNorm norm, double eps)
    {
        var mean = x.mean([-1L], keepdim: true);
        var variance = (x - mean).pow(2).mean([-1L], keepdim: true);
        return (x - mean) / (variance + eps).sqrt() * norm.Weight + norm.Bias;
    }

    /// <summary>Cosine of each row of <paramref name="a"/> with each row of <paramref name="b"/>, as plain arrays.</summary>
    static double[][] Cosines(Tensor a, Tensor b)
    {
        var (n, m, d) = ((int)a.shape[0], (int)b.shape[0], (int)a.shape[1]);
        var x = a.to(ScalarType.Float64).data<double>().ToArray();
        var y = b.to(ScalarType.Float64).data<double>().ToArray();
        double Dot(double[] u, int i, double[] v, int j) => Enumerable.Range(0, d).Sum(k => u[i * d + k] * v[j * d + k]);
        return Enumerable.Range(0, n).Select(i => Enumerable.Range(0, m)
            .Select(j => Dot(x, i, y, j) / Math.Sqrt(Dot(x, i, x, i) * Dot(y, j, y, j))).ToArray()).ToArray();
    }

    static double[] Softmax(double[] values, double temperature)
    {
        var max = values.Max();
        var e = values.Select(v => Math.Exp((v - max) / temperature)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    static double LogSumExp(double[] values)
    {
        var max = values.Max();
        return max + Math.Log(values.Sum(v => Math.Exp(v - max)));
    }

    static void AssertClose(double[] expected, Tensor got)
    {
        var values = got.data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"score {i}: expected {expected[i]:R}, got {values[i]:R}");
    }
}
