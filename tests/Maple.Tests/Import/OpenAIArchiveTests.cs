using System.IO.Compression;
using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Checkpoints;
using Maple.Clip.Safetensors;
using Maple.Clip.Weights;
using Maple.Tests.Checkpoints;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>
/// OpenAI's original <c>.pt</c> CLIP files (TorchScript archives with OpenAI's key names, fp16), and
/// torch.save state dicts with the same names, through <see cref="ClipModel.Load"/>.
/// </summary>
public sealed class OpenAIArchiveTests
{
    static string Archive => ImportTestData.File("openai-small.pt");

    [Fact]
    public void Archive_ArchitectureIsInferredFromItsShapes()
    {
        using var model = ClipModel.Load(Archive, Precision.Fp32);

        var expected = new ClipConfig(
            new ClipTextConfig(VocabularySize: 256, Width: 64, Layers: 2, Heads: 1, IntermediateSize: 128, ContextLength: 77, "quick_gelu", 1e-5),
            new ClipVisionConfig(Width: 128, Layers: 2, Heads: 2, IntermediateSize: 64, ImageSize: 16, PatchSize: 8, "quick_gelu", 1e-5),
            EmbedDim: 32);
        Assert.Equal(expected, model.Config);
        Assert.Equal(expected, ClipWeightLoader.ReadConfig(Archive));
    }

    [Fact]
    public void Archive_StateDictHasOpenAIsKeysInFp16()
    {
        var (_, source) = ClipWeightLoader.Open(Archive);
        using (source)
        {
            Assert.Equal([128L, 3, 8, 8], source.Shapes["visual.conv1.weight"]);
            Assert.Equal([384L, 128], source.Shapes["visual.transformer.resblocks.1.attn.in_proj_weight"]);
            Assert.Equal([128L, 32], source.Shapes["visual.proj"]);
            Assert.Equal([64L, 32], source.Shapes["text_projection"]);
            Assert.Equal([256L, 64], source.Shapes["token_embedding.weight"]);
            Assert.Equal([77L, 64], source.Shapes["positional_embedding"]);
            Assert.Empty(source.Shapes["logit_scale"]);
            using var weight = source.Read("visual.conv1.weight");
            Assert.Equal(ScalarType.Float16, weight.dtype);
            using var resolution = source.Read("input_resolution");
            Assert.Equal(16L, resolution.item<long>());
            using var vocabulary = source.Read("vocab_size");
            Assert.Equal(256L, vocabulary.item<long>());
        }
    }

    [Fact]
    public void Archive_FeaturesMatchThePythonReference()
    {
        using var scope = NewDisposeScope();
        using var model = ClipModel.Load(Archive, Precision.Fp32);
        using var expected = SafetensorsFile.Open(ImportTestData.File("openai-small.expected.safetensors"));

        using var _ = no_grad();
        var image = model.EncodeImage(expected.Read("pixels"));
        var text = model.EncodeText(expected.Read("token_ids"));

        Assert.True(image.isfinite().all().item<bool>() && text.isfinite().all().item<bool>());
        TensorAssert.RelativeClose(expected.Read("image_features"), image, 1e-5, "image_features");
        TensorAssert.RelativeClose(expected.Read("text_features"), text, 1e-5, "text_features");
    }

    [Fact]
    public void Archive_GivesTheFeaturesOfTheSameWeightsInHuggingFaceLayout()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var openai = ClipModel.Load(Archive, Precision.Fp32);
        WriteHuggingFaceFolder(Archive, openai.Config, temp.Path);
        using var huggingFace = ClipModel.Load(temp.Path, Precision.Fp32);
        using var inputs = SafetensorsFile.Open(ImportTestData.File("openai-small.expected.safetensors"));

        using var _ = no_grad();
        var pixels = inputs.Read("pixels");
        var ids = inputs.Read("token_ids");
        TensorAssert.RelativeClose(huggingFace.EncodeImage(pixels), openai.EncodeImage(pixels), 1e-6, "image_features");
        TensorAssert.RelativeClose(huggingFace.EncodeText(ids), openai.EncodeText(ids), 1e-6, "text_features");
        Assert.Equal(huggingFace.LogitScale.item<float>(), openai.LogitScale.item<float>());
    }

    [Fact]
    public void TorchSavedStateDict_IsReadWithTheSafeReaderAndGivesTheSameModel()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        var path = temp["ViT-small.pt"];
        var (_, source) = ClipWeightLoader.Open(Archive);
        using (source)
            TorchSaveWriter.Write(path, source.Shapes.Keys.Order(StringComparer.Ordinal).Select(k => (k, source.Read(k))).ToList());
        Assert.False(TorchScriptArchiveEntries(path));

        using var saved = ClipModel.Load(path, Precision.Fp32);
        using var archive = ClipModel.Load(Archive, Precision.Fp32);
        using var inputs = SafetensorsFile.Open(ImportTestData.File("openai-small.expected.safetensors"));

        using var _ = no_grad();
        var pixels = inputs.Read("pixels");
        Assert.Equal(archive.Config, saved.Config);
        Assert.True(ImportTestData.Same(archive.EncodeImage(pixels), saved.EncodeImage(pixels)));
    }

    [Fact]
    public void TorchSavedFileWithARefusedGlobal_IsRefusedNotRun()
    {
        var malicious = Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "torch", "malicious-system.pt");
        File.Delete("/tmp/maple-pickle-marker-system");

        var refused = Assert.Throws<UnsafePickleException>(() => ClipModel.Load(malicious, Precision.Fp32));

        Assert.Equal("posix.system", refused.GlobalName);
        Assert.False(File.Exists("/tmp/maple-pickle-marker-system"));
    }

    [Fact]
    public void FileThatIsNeitherTorchScriptNorAStateDict_GivesAClearErrorNamingIt()
    {
        using var temp = new TempFolder();
        var text = temp["notes.pt"];
        File.WriteAllText(text, "not a model");
        var list = temp["list.pt"];
        PickleBuilder.WriteTorchZip(list, new PickleBuilder().Proto().Op(']').Op('.').ToArray());

        var textError = Assert.Throws<InvalidDataException>(() => ClipModel.Load(text, Precision.Fp32));
        var listError = Assert.Throws<InvalidDataException>(() => ClipModel.Load(list, Precision.Fp32));

        Assert.Equal($"{text} is not a PyTorch file (torch.save or torch.jit.save): it is neither a zip archive nor a pickle", textError.Message);
        Assert.Equal($"{list} holds a list, not a state dict or a checkpoint dict", listError.Message);
    }

    [Fact]
    public void ResNetCheckpoint_IsRefusedClearly()
    {
        using var temp = new TempFolder();
        var path = temp["RN50.pt"];
        TorchSaveWriter.Write(path,
        [
            ("visual.conv1.weight", zeros(32, 3, 3, 3)), ("visual.layer1.0.conv1.weight", zeros(64, 64, 1, 1)),
            ("visual.attnpool.positional_embedding", zeros(50, 2048)), ("token_embedding.weight", zeros(16, 64)),
        ]);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));

        Assert.Equal($"{path} holds a CLIP with a ResNet image encoder (RN50, RN101, ...): Maple supports ViT image encoders only", error.Message);
    }

    [Fact]
    public void DamagedTorchScriptArchive_GivesAClearErrorNamingIt()
    {
        using var temp = new TempFolder();
        var damaged = temp["ViT-damaged.pt"];
        using (var input = ZipFile.OpenRead(Archive))
        using (var output = ZipFile.Open(damaged, ZipArchiveMode.Create))
        {
            foreach (var entry in input.Entries)
            {
                using var target = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                    target.Write("\u0080\u0002not a module pickle"u8);
                else
                    entry.Open().CopyTo(target);
            }
        }

        var error = Assert.Throws<UnsafePickleException>(() => ClipModel.Load(damaged, Precision.Fp32));

        Assert.StartsWith($"refused unknown pickle opcode 0xc2 at offset 0 in {damaged}: ", error.Message);
    }

    static bool TorchScriptArchiveEntries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal));
    }

    // The same weights under Hugging Face CLIPModel names, written independently of the loader's recipes.
    static void WriteHuggingFaceFolder(string archive, ClipConfig config, string folder)
    {
        var (_, source) = ClipWeightLoader.Open(archive);
        using var __ = source;
        var tensors = new Dictionary<string, Tensor>();
        void Put(string name, Tensor value) => tensors[name] = value.to(ScalarType.Float32).contiguous();

        Put("vision_model.embeddings.patch_embedding.weight", source.Read("visual.conv1.weight"));
        Put("vision_model.embeddings.class_embedding", source.Read("visual.class_embedding"));
        Put("vision_model.embeddings.position_embedding.weight", source.Read("visual.positional_embedding"));
        Put("visual_projection.weight", source.Read("visual.proj").t());
        Put("text_model.embeddings.token_embedding.weight", source.Read("token_embedding.weight"));
        Put("text_model.embeddings.position_embedding.weight", source.Read("positional_embedding"));
        Put("text_projection.weight", source.Read("text_projection").t());
        Put("logit_scale", source.Read("logit_scale"));
        foreach (var kind in new[] { "weight", "bias" })
        {
            Put($"vision_model.pre_layrnorm.{kind}", source.Read($"visual.ln_pre.{kind}"));
            Put($"vision_model.post_layernorm.{kind}", source.Read($"visual.ln_post.{kind}"));
            Put($"text_model.final_layer_norm.{kind}", source.Read($"ln_final.{kind}"));
        }
        foreach (var (theirs, ours, layers) in new[] { ("visual.transformer", "vision_model.encoder", config.Vision.Layers), ("transformer", "text_model.encoder", config.Text.Layers) })
        {
            for (var i = 0; i < layers; i++)
            {
                var (t, o) = ($"{theirs}.resblocks.{i}", $"{ours}.layers.{i}");
                foreach (var kind in new[] { "weight", "bias" })
                {
                    var qkv = source.Read($"{t}.attn.in_proj_{kind}").chunk(3, 0);
                    Put($"{o}.self_attn.q_proj.{kind}", qkv[0]);
                    Put($"{o}.self_attn.k_proj.{kind}", qkv[1]);
                    Put($"{o}.self_attn.v_proj.{kind}", qkv[2]);
                    Put($"{o}.self_attn.out_proj.{kind}", source.Read($"{t}.attn.out_proj.{kind}"));
                    Put($"{o}.layer_norm1.{kind}", source.Read($"{t}.ln_1.{kind}"));
                    Put($"{o}.layer_norm2.{kind}", source.Read($"{t}.ln_2.{kind}"));
                    Put($"{o}.mlp.fc1.{kind}", source.Read($"{t}.mlp.c_fc.{kind}"));
                    Put($"{o}.mlp.fc2.{kind}", source.Read($"{t}.mlp.c_proj.{kind}"));
                }
            }
        }
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToHuggingFace().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
