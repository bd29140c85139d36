using Maple.Clip.Checkpoints;

namespace Maple.Tests.Checkpoints;

public sealed class UnsafePickleTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("maple-unsafe-pickle-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("malicious-system.pt", "posix.system", "/tmp/maple-pickle-marker-system")]
    [InlineData("malicious-eval.pt", "builtins.eval", "/tmp/maple-pickle-marker-eval")]
    public void TorchSavedReducePayload_IsRefusedNamingTheGlobal(string file, string global, string marker)
    {
        File.Delete(marker);
        var path = TorchTestData.File(file);

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal(
            $"refused to load global {global} from {path}: only tensors and plain containers are allowed",
            refused.Message);
        Assert.Equal(global, refused.GlobalName);
        Assert.Equal(path, refused.FilePath);
        Assert.False(File.Exists(marker));
        Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.LoadStateDict(path));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void OsSystemGlobal_IsRefusedAndNothingRuns()
    {
        var marker = Path.Combine(folder, "ran");
        var path = WritePickle(new PickleBuilder().Proto()
            .Global("os", "system").Tuple(b => b.String($"touch {marker}")).Op('R').Op('.'));

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains("os.system", refused.Message);
        Assert.Contains(path, refused.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void StackGlobalForBuiltinsEval_IsRefused()
    {
        var marker = Path.Combine(folder, "ran");
        var path = WritePickle(new PickleBuilder().Proto(4)
            .String("builtins").String("eval").Op(0x93)
            .Tuple(b => b.String($"open('{marker}', 'w').close()")).Op('R').Op('.'));

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal("builtins.eval", refused.GlobalName);
        Assert.Contains("refused to load global builtins.eval from", refused.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void PayloadHiddenAfterRealTensors_IsStillRefused()
    {
        var path = WritePickle(new PickleBuilder().Proto()
            .Op('}').String("weight").Tensor("FloatStorage", "0", 2, 0, [2], [1]).Op('s')
            .String("x").Global("subprocess", "Popen").Tuple(b => b.String("true")).Op('R').Op('s').Op('.'),
            new Dictionary<string, byte[]> { ["0"] = new byte[8] });

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.LoadStateDict(path));

        Assert.Equal("subprocess.Popen", refused.GlobalName);
    }

    [Fact]
    public void AllowedGlobalCalledInAnUnsupportedWay_IsRefused()
    {
        var path = WritePickle(new PickleBuilder().Proto()
            .Global("torch", "FloatStorage").Tuple(b => b.Int(1000)).Op('R').Op('.'));

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal("torch.FloatStorage", refused.GlobalName);
        Assert.StartsWith("refused to call global torch.FloatStorage from", refused.Message);
    }

    [Fact]
    public void DefaultDictWithAFunctionAsFactory_IsRefused()
    {
        var path = WritePickle(new PickleBuilder().Proto()
            .Global("collections", "defaultdict").Tuple(b => b.Global("torch._utils", "_rebuild_tensor_v2")).Op('R').Op('.'));

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal("torch._utils._rebuild_tensor_v2", refused.GlobalName);
    }

    [Theory]
    [InlineData((byte)0xff, "unknown pickle opcode 0xff")]
    [InlineData((byte)0x82, "pickle opcode EXT1 (0x82)")]
    [InlineData((byte)0x97, "pickle opcode NEXT_BUFFER (0x97)")]
    public void UnknownAndExtensionOpcodes_AreRefused(byte opcode, string named)
    {
        var path = WritePickle(new PickleBuilder().Proto().Op('}').Op(opcode).Byte(1).Op('.'));

        var refused = Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal(opcode, refused.Opcode);
        Assert.Null(refused.GlobalName);
        Assert.Equal($"refused {named} at offset 3 in {path}: only the opcodes that tensors and plain containers need are allowed", refused.Message);
    }

    [Fact]
    public void RefusalIsAnIOException()
    {
        var path = WritePickle(new PickleBuilder().Proto().Global("os", "system").Op('.'));

        Assert.IsAssignableFrom<IOException>(Assert.Throws<UnsafePickleException>(() => TorchCheckpointReader.Load(path)));
    }

    string WritePickle(PickleBuilder pickle, Dictionary<string, byte[]>? storages = null)
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}.pt");
        PickleBuilder.WriteTorchZip(path, pickle.ToArray(), storages);
        return path;
    }
}
