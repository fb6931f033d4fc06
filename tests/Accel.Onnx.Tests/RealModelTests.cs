using Accel.Golden.Float;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Onnx.Proto;
using Accel.Onnx.Runtime;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Onnx.Tests;

/// <summary>The real SqueezeNets in ../shared/data: structure, and logits against ONNX Runtime.</summary>
public sealed class RealModelTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Models => new()
    {
        { "squeezenet1_1", BuiltinNetworks.SqueezeNet11 },
        { "squeezenet1_0_deep_compression", BuiltinNetworks.SqueezeNet10Caffe },
    };

    private static string ModelPath(string model) => SharedData.Find("models", model + ".onnx")
        ?? throw new FileNotFoundException($"models/{model}.onnx is missing from the shared data");

    private static string TestData(string model, params string[] rest) =>
        SharedData.Find(["models", "test_data", model, .. rest]) ?? throw new FileNotFoundException($"test data for {model} is missing");

    internal static float[] ReadTensor(string path) =>
        OnnxImporter.TensorToFloats(TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), m => new InvalidDataException(m));

    private static float[] ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        return values;
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    [RequiresDataTheory]
    [MemberData(nameof(Models))]
    public void Import_equals_the_builtin_network(string model, string builtin)
    {
        var imported = OnnxImporter.Load(ModelPath(model)).Network;
        var expected = BuiltinNetworks.Get(builtin);

        Assert.Equal(model, imported.Name);
        Assert.Equal(expected.InputShape, imported.InputShape);
        Assert.False(imported.OutputSoftmax);
        // The exported graphs carry no Dropout (an inference no-op): compare everything else.
        Assert.Equal(expected.Summaries.Where(s => s.Kind != "dropout"), imported.Summaries);
        Assert.Equal(expected.Layers.Where(l => l is not DropoutLayer), imported.Layers);
        Assert.Equal(expected.Nodes.Select(n => (n.Name, n.Op, n.Output, string.Join(",", n.Inputs), n.Parameters, n.Macs)),
            imported.Nodes.Select(n => (n.Name, n.Op, n.Output, string.Join(",", n.Inputs), n.Parameters, n.Macs)));
        Assert.Equal(expected.Parameters, imported.Parameters);
        Assert.Equal(expected.Macs, imported.Macs);
    }

    [RequiresDataTheory]
    [MemberData(nameof(Models))]
    public void Float_reference_reproduces_onnx_runtime_on_the_cat(string model, string builtin)
    {
        _ = builtin;
        var path = ModelPath(model);
        var input = ReadTensor(TestData(model, "test_data_set_0", "input_0.pb"));
        Assert.Equal(ReadF32(TestData(model, "cat_input.f32")), input);
        var stored = ReadTensor(TestData(model, "test_data_set_0", "output_0.pb"));
        Assert.Equal(ReadF32(TestData(model, "cat_output_logits.f32")), stored);

        var floatModel = OnnxImporter.Load(path);
        var ours = FloatReference.Run(floatModel, input).Output;
        using var session = new OnnxRuntimeSession(path);
        var ort = session.Run(input);

        float vsOrt = MaxAbsDiff(ours, ort), vsStored = MaxAbsDiff(ours, stored);
        output.WriteLine($"{model}: max |ours - ORT| = {vsOrt:E2}, max |ours - output_0.pb| = {vsStored:E2}");
        Assert.True(vsOrt < 1e-3f, $"max abs diff to ONNX Runtime {vsOrt}");
        Assert.True(vsStored < 1e-3f, $"max abs diff to output_0.pb {vsStored}");
        Assert.Equal(278, ArgMax(ours));
        Assert.Equal(278, ArgMax(ort));
    }

    [RequiresDataFact]
    public void Activations_are_kept_by_node_name()
    {
        var model = OnnxImporter.Load(ModelPath("squeezenet1_1"));
        var input = ReadF32(TestData("squeezenet1_1", "cat_input.f32"));
        var result = FloatReference.Run(model, input, keepActivations: true);
        Assert.NotNull(result.Activations);
        Assert.Same(input, result.Activations![Network.InputName]);
        foreach (var node in model.Network.Nodes)
            Assert.Equal(node.Output.Elements, result.Activations[node.Name].Length);
        Assert.Equal(result.Output, result.Activations[model.Network.OutputNode]);
    }

    [RequiresDataFact]
    public void Truncated_real_file_is_an_import_error()
    {
        var bytes = File.ReadAllBytes(ModelPath("squeezenet1_1"));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(bytes[..1000], "squeezenet1_1", "squeezenet1_1.onnx"));
        Assert.StartsWith("squeezenet1_1.onnx: ", e.Message);

        var dir = Directory.CreateTempSubdirectory("accel-onnx-");
        var path = Path.Combine(dir.FullName, "cut.onnx");
        File.WriteAllBytes(path, bytes[..1000]);
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(path));
        Assert.StartsWith("cut.onnx: ", e.Message);
        dir.Delete(true);
    }
}
