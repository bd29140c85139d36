namespace Maple.Clip.Weights;

/// <summary>Hugging Face <c>CLIPModel</c> checkpoints (<c>model.safetensors</c> beside <c>config.json</c>).</summary>
sealed class HuggingFaceLayout : CheckpointLayout
{
    public override string Name => "Hugging Face";

    public override bool IsIgnorable(string key) => key.EndsWith(".position_ids", StringComparison.Ordinal);

    public override bool Matches(IReadOnlyDictionary<string, long[]> shapes) =>
        shapes.ContainsKey("text_model.embeddings.token_embedding.weight") || shapes.ContainsKey("vision_model.embeddings.patch_embedding.weight");

    public override IEnumerable<WeightRecipe> Recipes(ClipConfig config)
    {
        yield return WeightRecipe.Same("visual.conv1", "vision_model.embeddings.patch_embedding.weight");
        yield return WeightRecipe.Same("visual.class_embedding", "vision_model.embeddings.class_embedding");
        yield return WeightRecipe.Same("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight");
        foreach (var r in Norm("visual.ln_pre", "vision_model.pre_layrnorm"))
            yield return r;
        foreach (var r in Blocks("visual.transformer", "vision_model.encoder", config.Vision.Layers))
            yield return r;
        foreach (var r in Norm("visual.ln_post", "vision_model.post_layernorm"))
            yield return r;
        yield return WeightRecipe.Same("visual.proj.weight", "visual_projection.weight");

        yield return WeightRecipe.Same("text.token_embedding", "text_model.embeddings.token_embedding.weight");
        yield return WeightRecipe.Same("text.positional_embedding", "text_model.embeddings.position_embedding.weight");
        foreach (var r in Blocks("text.transformer", "text_model.encoder", config.Text.Layers))
            yield return r;
        foreach (var r in Norm("text.ln_final", "text_model.final_layer_norm"))
            yield return r;
        yield return WeightRecipe.Same("text.text_projection.weight", "text_projection.weight");
        yield return WeightRecipe.Same("logit_scale", "logit_scale");
    }

    static IEnumerable<WeightRecipe> Blocks(string ours, string theirs, int layers)
    {
        for (var i = 0; i < layers; i++)
        {
            var (o, t) = ($"{ours}.resblocks.{i}", $"{theirs}.layers.{i}");
            foreach (var kind in new[] { "weight", "bias" })
            {
                yield return new WeightRecipe($"{o}.attn.in_proj.{kind}",
                    [$"{t}.self_attn.q_proj.{kind}", $"{t}.self_attn.k_proj.{kind}", $"{t}.self_attn.v_proj.{kind}"],
                    WeightTransform.ConcatRows);
                foreach (var (ourPart, theirPart) in BlockParameters(huggingFace: true))
                    yield return WeightRecipe.Same($"{o}.{ourPart}.{kind}", $"{t}.{theirPart}.{kind}");
            }
        }
    }
}
