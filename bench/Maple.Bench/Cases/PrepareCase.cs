using Maple.Clip;
using Maple.Clip.Weights;

namespace Maple.Bench.Cases;

/// <summary>Writes the random ViT-B/16 once, in Hugging Face format, for every other case to load.</summary>
public sealed class PrepareCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var folder = args.Get("model");
        var tokenizer = args.Get("tokenizer", "");
        if (BenchModel.IsWritten(folder))
        {
            // Tokenizer files may have been found only after an earlier run wrote the weights.
            if (tokenizer.Length > 0 && !BenchModel.HasTokenizer(folder))
            {
                foreach (var name in new[] { "vocab.json", "merges.txt" })
                    File.Copy(Path.Combine(tokenizer, name), Path.Combine(folder, name), overwrite: true);
            }
            yield break;
        }

        var timing = new Timing();
        using (var model = new ClipModel(BenchModel.VitB16, Precision.Fp32))
        {
            model.InitializeRandom(BenchModel.Seed);
            ClipWeightWriter.SaveHuggingFace(model, folder, tokenizer.Length > 0 ? tokenizer : null);
        }
        yield return new Measurement("prepare", "ViT-B/16 random, fp32", "write (ClipWeightWriter)", timing.Seconds, "s");
    }
}
