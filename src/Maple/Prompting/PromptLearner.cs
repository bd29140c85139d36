using Maple.Clip;
using Maple.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// What a prompt-learning method learns, and the prompt tokens it hands the encoders: a module whose
/// parameters carry the authors' state-dict names (<c>prompt_learner.ctx</c>, nested as in their code), so
/// <c>state_dict()</c> and checkpoints read the same in both implementations, and <c>to(device)</c> moves it.
/// The learned tokens never depend on the class names: a learner trained on some classes scores any others.
/// </summary>
/// <remarks>
/// Subclasses hold no <see cref="Parameter"/> of their own: <c>to</c> replaces the registered ones, so they read
/// them by name (<see cref="Learned"/>).
/// </remarks>
public abstract class PromptLearner : nn.Module
{
    readonly List<string> _names = [];

    /// <summary>Creates a learner for <paramref name="config"/> on a backbone of <paramref name="clip"/>'s dimensions.</summary>
    protected PromptLearner(PromptConfig config, ClipConfig clip) : base(nameof(PromptLearner))
    {
        config.Validate(clip, $"{PromptMethods.Name(config.Method)} prompts");
        Config = config;
        ClipConfig = clip;
    }

    /// <summary>The method and its settings.</summary>
    public PromptConfig Config { get; }

    /// <summary>The backbone's dimensions.</summary>
    public ClipConfig ClipConfig { get; }

    /// <summary>The words before the class name in every text prompt (e.g. "a photo of a" or "X X").</summary>
    public abstract string PromptPrefix { get; }

    /// <summary>Whether the text prompts depend on the image (CoCoOp): text features are then per image.</summary>
    public virtual bool ConditionsOnImage => false;

    /// <summary>The learnable tensors under the authors' names, in a fixed order (the order they were created in).</summary>
    public IReadOnlyList<(string Name, Parameter Value)> Parameters => _names.Select(name => (name, Learned(name))).ToList();

    /// <summary>
    /// How the text prompt words a class: the prefix, the class name and a period (<c>"a photo of a {}."</c>,
    /// <c>"X X X X {}."</c>), as the authors' <c>prompt_prefix + " " + name + "."</c>.
    /// </summary>
    public virtual string Template => $"{PromptPrefix} {PromptTemplates.Placeholder}.";

    /// <summary>The text prompt of each class: <see cref="Template"/> with the class name, underscores as spaces.</summary>
    public IReadOnlyList<string> PromptTexts(IEnumerable<string> classNames) =>
        classNames.Select(name => PromptTemplates.Format(Template, name)).ToList();

    /// <summary>Tokens for the text encoder, or null when the text is fixed.</summary>
    public abstract LayerPrompts? TextPrompts();

    /// <summary>Tokens for the image encoder, or null when the vision branch is not prompted.</summary>
    public abstract LayerPrompts? VisionPrompts();

    /// <summary>Per-image text tokens for image-conditioned methods, from L2-normalised image features [embed].</summary>
    public virtual LayerPrompts TextPromptsFor(Tensor normalizedImageFeature) =>
        throw new NotSupportedException($"{PromptMethods.Name(Config.Method)} prompts do not depend on the image");

    /// <summary>The learnable tensors by name (views of the live parameters).</summary>
    public Dictionary<string, Tensor> StateDict() => Parameters.ToDictionary(p => p.Name, p => (Tensor)p.Value);

    /// <summary>Copies values into the parameters; every name must be present with its exact shape.</summary>
    /// <exception cref="InvalidDataException">Names are missing or unexpected, or a shape differs; <paramref name="source"/> is named.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> values, string source)
    {
        ArgumentNullException.ThrowIfNull(values);
        PromptLearners.CheckShapes(Config, ClipConfig, values.ToDictionary(v => v.Key, v => v.Value.shape), source);
        using (no_grad())
        {
            foreach (var (name, parameter) in Parameters)
            {
                var value = values[name];
                if (!value.shape.SequenceEqual(parameter.shape))
                    throw new InvalidOperationException($"{name}: the learner's shape differs from PromptLearners.ParameterShapes");
                parameter.copy_(value.to(parameter.dtype));
            }
        }
    }

    /// <summary>
    /// Adds a learnable tensor (taking ownership of <paramref name="initial"/>) under its dotted state-dict name: each
    /// part before the last is a child module, created when first named.
    /// </summary>
    protected void Learn(string name, Tensor initial)
    {
        // The learner outlives any dispose scope it is created in.
        var parameter = new Parameter(initial.to(ScalarType.Float32).detach(), requires_grad: true);
        parameter.DetachFromDisposeScope();
        var parts = name.Split('.');
        nn.Module owner = this;
        foreach (var part in parts[..^1])
        {
            var child = owner.named_children().FirstOrDefault(c => c.name == part).module;
            if (child is null)
            {
                child = new ParameterGroup();
                owner.register_module(part, child);
            }
            owner = child;
        }
        owner.register_parameter(parts[^1], parameter);
        _names.Add(name);
    }

    /// <summary>The learnable tensor named <paramref name="name"/> (as given to <see cref="Learn"/>).</summary>
    protected Parameter Learned(string name) =>
        get_parameter(name) ?? throw new InvalidOperationException($"{name}: no such learned tensor");

    /// <summary>N(0, 0.02), the authors' initialisation of prompt tokens.</summary>
    protected static Tensor PromptNormal(long rows, long width, Generator generator) =>
        normal(0, 0.02, [rows, width], generator: generator);

    /// <summary>
    /// A linear layer initialised as PyTorch's default does (kaiming-uniform with a = √5 for the weight,
    /// U(±1/√fan_in) for the bias: both come to U(±1/√fan_in)).
    /// </summary>
    protected static (Tensor Weight, Tensor Bias) DefaultLinear(long inFeatures, long outFeatures, Generator generator)
    {
        var bound = 1.0 / Math.Sqrt(inFeatures);
        var weight = rand([outFeatures, inFeatures], generator: generator) * (2 * bound) - bound;
        var bias = rand([outFeatures], generator: generator) * (2 * bound) - bound;
        return (weight, bias);
    }

    /// <summary>
    /// The token embeddings of the first <paramref name="count"/> BPE tokens of <paramref name="words"/>
    /// (after the start token), as the authors initialise the text context from ctx_init.
    /// </summary>
    protected static Tensor EmbedWords(ClipModel clip, ClipTokenizer tokenizer, string words, int count)
    {
        using var scope = NewDisposeScope();
        using var ids = tokenizer.Tokenize([words], clip.Config.Text.ContextLength);
        using var _ = no_grad();
        return clip.Text.Embed(ids)[0, 1..(1 + count)].clone().MoveToOuterDisposeScope();
    }

    /// <summary>"X X ... X": the placeholder words of randomly initialised context.</summary>
    protected static string Placeholders(int count) => string.Join(" ", Enumerable.Repeat("X", count));
}

/// <summary>A module that only groups learned tensors under a name, as a part of a dotted state-dict name.</summary>
sealed class ParameterGroup() : nn.Module(nameof(ParameterGroup));
