module github.com/golive-dev/golive/hot

go 1.26
