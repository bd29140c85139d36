using System.Diagnostics;
using Maple.Clip;
using Maple.Imaging;
using Maple.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Demo;

/// <summary>
/// Trains a whole <see cref="ClipModel"/> from scratch as CLIP was trained: symmetric InfoNCE between the
/// images and the captions of a batch, with a learnable logit scale (clamped, at 100 as CLIP does unless the options say otherwise), AdamW,
/// linear warm-up and cosine decay. Each batch holds at most one image per group (the demo's class), so
/// no caption in a batch is a true description of another image there.
/// </summary>
public sealed class ContrastivePretraining
{
    /// <summary>Changes whenever a change to this code changes the model it trains, so that cached demo models are pretrained anew.</summary>
    public const int Version = 2;

    readonly ClipModel _model;
    readonly ClipTokenizer _tokenizer;
    readonly PretrainingOptions _options;

    /// <summary>Prepares to train <paramref name="model"/> (fp32) with captions tokenized by <paramref name="tokenizer"/>.</summary>
    public ContrastivePretraining(ClipModel model, ClipTokenizer tokenizer, PretrainingOptions options)
    {
        options.Validate();
        if (model.Precision != Precision.Fp32)
            throw new ArgumentException("contrastive pretraining needs an fp32 model");
        if (tokenizer.VocabularySize != model.Config.Text.VocabularySize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabularySize} tokens, the model {model.Config.Text.VocabularySize}");
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>
    /// Trains on <paramref name="images"/> ([N, 3, S, S], normalised) and returns each step's loss.
    /// <paramref name="groups"/>[i] is image i's group; <paramref name="caption"/> describes image i, drawing
    /// any choice (such as a template) from the generator it is given. The model is left frozen.
    /// </summary>
    public IReadOnlyList<double> Run(Tensor images, IReadOnlyList<int> groups, Func<int, Xoshiro256StarStar, string> caption,
        IProgress<PretrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (images.shape[0] != groups.Count)
            throw new ArgumentException($"{images.shape[0]} images but {groups.Count} group labels");
        var members = groups.Select((g, i) => (g, i)).GroupBy(x => x.g).OrderBy(g => g.Key).Select(g => g.Select(x => x.i).ToArray()).ToArray();
        var batch = Math.Min(_options.BatchSize, members.Length);
        if (batch < 2)
            throw new ArgumentException("contrastive pretraining needs at least two groups of images");

        var rng = new Xoshiro256StarStar((ulong)_options.Seed);
        var context = _model.Config.Text.ContextLength;
        var losses = new List<double>();
        _model.SetTrainable(true);
        try
        {
            var parameters = _model.named_parameters().ToList();
            // As CLIP: decay the matrices only; gains, biases, embeddings and the temperature are left alone.
            var decayed = parameters.Where(p => p.parameter.dim() >= 2 && !p.name.Contains("embedding", StringComparison.Ordinal)).Select(p => p.parameter).ToList();
            var others = parameters.Select(p => p.parameter).Except(decayed).Where(p => !ReferenceEquals(p, _model.LogitScale)).ToList();
            var paramGroups = new (AdamW.ParamGroup Group, double Factor)[]
            {
                (new AdamW.ParamGroup(decayed, new AdamW.Options { weight_decay = _options.WeightDecay }), 1),
                (new AdamW.ParamGroup(others, new AdamW.Options { weight_decay = 0 }), 1),
                // CLIP's temperature travels from 1/0.07 towards 100 over 32 epochs of 400M pairs; this run is
                // thousands of times shorter, so the scale gets a larger step to reach a CLIP-like sharpness.
                (new AdamW.ParamGroup([_model.LogitScale], new AdamW.Options { weight_decay = 0 }), _options.LogitScaleLearningRateFactor),
            };
            using var optimizer = optim.AdamW(paramGroups.Select(g => g.Group), _options.LearningRate, 0.9, 0.98, 1e-6, 0, false, false);
            // Explicit scalars: an implicit one may be finalized while libtorch still reads it.
            using var zero = 0.0.ToScalar();
            using var maxLogitScale = Math.Log(_options.MaxLogitScale).ToScalar();
            var clock = Stopwatch.StartNew();
            for (var step = 0; step < _options.Steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                var lr = LearningRateAt(step);
                foreach (var (group, factor) in paramGroups)
                    group.LearningRate = lr * factor;

                var chosen = Shuffle(members.Length, rng).Take(batch).Select(g => members[g][rng.NextInt(members[g].Length)]).ToArray();
                var captions = chosen.Select(i => caption(i, rng)).ToList();
                double loss, accuracy;
                using (var scope = NewDisposeScope())
                {
                    using var index = tensor(chosen.Select(i => (long)i).ToArray());
                    var pixels = images.index_select(0, index);
                    var tokens = _tokenizer.Tokenize(captions, context, truncate: true);
                    var logits = _model.Logits(_model.EncodeImage(pixels), _model.EncodeText(tokens));
                    var lossTensor = SymmetricInfoNce(logits);
                    optimizer.zero_grad();
                    lossTensor.backward();
                    optimizer.step();
                    using (no_grad())
                        _model.LogitScale.clamp_(zero, maxLogitScale);
                    loss = lossTensor.item<float>();
                    accuracy = logits.argmax(1).eq(arange(batch)).to(ScalarType.Float32).mean().item<float>();
                }
                losses.Add(loss);
                var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / (step + 1) * (_options.Steps - step - 1));
                progress?.Report(new PretrainingProgress(step + 1, _options.Steps, loss, accuracy, Math.Exp(_model.LogitScale.item<float>()), eta));
            }
        }
        finally
        {
            _model.SetTrainable(false);
        }
        return losses;
    }

    /// <summary>
    /// CLIP's loss of logits [n, n] whose diagonal holds the true pairs: the mean of the cross-entropy
    /// over each row (image → captions) and over each column (caption → images).
    /// </summary>
    public static Tensor SymmetricInfoNce(Tensor logits)
    {
        if (logits.dim() != 2 || logits.shape[0] != logits.shape[1])
            throw new ArgumentException($"InfoNCE needs square logits, got [{string.Join(", ", logits.shape)}]");
        using var scope = NewDisposeScope();
        var targets = arange(logits.shape[0]);
        var loss = (nn.functional.cross_entropy(logits, targets) + nn.functional.cross_entropy(logits.t(), targets)) / 2;
        return loss.MoveToOuterDisposeScope();
    }

    double LearningRateAt(int step)
    {
        if (step < _options.WarmupSteps)
            return _options.LearningRate * (step + 1) / _options.WarmupSteps;
        var progress = (double)(step - _options.WarmupSteps) / Math.Max(1, _options.Steps - _options.WarmupSteps);
        return _options.LearningRate * (1 + Math.Cos(Math.PI * progress)) / 2;
    }

    static int[] Shuffle(int count, Xoshiro256StarStar rng)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
