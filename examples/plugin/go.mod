module github.com/golive-dev/golive/examples/plugin

go 1.26

require github.com/golive-dev/golive/hot v0.0.0

replace github.com/golive-dev/golive/hot => ../../hot
